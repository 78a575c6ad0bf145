// Attack review (token ids are the truth, #27 item 2), on the byte-level BPE test decoder through the worker's
// own job runner and audit runner. A hostile user picks job parameters where scoring ids and generating them
// might disagree: an honest rig must still pass. A hostile rig seals ids that aren't what the model drew, or
// more ids than it drew, or drops the ids (protocol 1) to bill more: it must not pass.
import type { JobBody } from '@cocoon/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit } from './audit-runner';
import { AUD, type AuditScene, openAuditScene, type Ran } from './audit-test-scene';

let scene: AuditScene;
beforeAll(async () => {
  scene = await openAuditScene({ tmpPrefix: 'cocoon-audit-attack-', inputTokens: 600 });
}, 120_000);
afterAll(async () => {
  await scene?.close();
});

const claimOf = (r: Ran) => {
  const { salt: _salt, ...claim } = r.result;
  return claim;
};
const decoded = (ids: number[]) => scene.tokenizer.decode(ids, { skip_special_tokens: true });

describe('a hostile user: parameters where scoring and generation might disagree', () => {
  const gen = (extra: Partial<Extract<JobBody, { kind: 'generate' }>>): JobBody => ({
    kind: 'generate',
    prompt: 'The engine of the',
    maxTokens: 12,
    temperature: 1,
    seed: 3,
    ...extra,
  });
  const cases: Array<[string, JobBody]> = [
    ['temperature 0', gen({ temperature: 0 })],
    ['temperature 2 (the most a job may ask)', gen({ temperature: 2 })],
    ['top_k 1', gen({ topK: 1 })],
    ['top_k 1000 (the most a job may ask)', gen({ topK: 1000 })],
    ['top_p tiny', gen({ topP: 1e-9 })],
    ['max_tokens 1', gen({ maxTokens: 1 })],
    ['the largest seed', gen({ seed: Number.MAX_SAFE_INTEGER })],
    ['a stop that is U+FFFD (a partial byte token)', gen({ stop: ['\uFFFD'] })],
    ['stops of one character', gen({ stop: [' ', 'e', 't'] })],
    ['a stop spanning tokens', gen({ stop: ['the e', 'ngine'], temperature: 0 })],
    ['a prompt filling the context', gen({ prompt: 'the engine '.repeat(126), maxTokens: 12 })],
    ['no sampling set (generation_config defaults)', { kind: 'generate', prompt: 'Hi', maxTokens: 12 }],
  ];
  for (const [name, body] of cases)
    it(`an honest rig passes: ${name}`, async () => {
      const r = await scene.execute(body);
      // The context-filling prompt leaves fewer new tokens than max_tokens: generation ends at the context.
      if (name.includes('context')) expect(r.result.promptTokens + r.result.completionTokens).toBe(512);
      const v = await runAudit(scene.auditOf(r), scene.deps(AUD));
      expect(v, JSON.stringify(r.result)).toMatchObject({ outcome: 'pass', reason: '' });
    }, 60_000);
});

describe('a hostile rig with result v2', () => {
  let r: Ran;
  beforeAll(async () => {
    r = await scene.execute({
      kind: 'generate',
      prompt: 'Hello there',
      maxTokens: 12,
      temperature: 1,
      seed: 9,
    });
  }, 60_000);

  it('a special token slipped in (hidden by skip_special_tokens) to bill one more: fails', async () => {
    const ids = [...r.result.tokenIds!];
    const special = scene.tokenizer.encode('<|im_start|>', { add_special_tokens: false });
    expect(special).toHaveLength(1);
    ids.splice(ids.length - 1, 0, special[0]);
    const claim = {
      ...claimOf(r),
      tokenIds: ids,
      completionTokens: ids.length,
      finishReason: 'stop' as const,
    };
    expect(decoded(ids)).toBe(decoded(r.result.tokenIds!));
    const v = await runAudit(scene.forged(r, { ...claim, text: decoded(ids) }), scene.deps(AUD));
    expect(v.outcome).toBe('fail');
  });

  it('one special token slipped into a long output (under the 2 % the threshold allows): fails', async () => {
    // Slipped in before the last id: it and the id after it disagree, 2 of 100+ positions, inside the
    // float-noise margin: agreement alone passes it.
    // A stop-ended output (only there can a rig add a token without passing max_tokens): the job's stop is a
    // piece of what the same seed writes late in a run without one.
    const job = { kind: 'generate' as const, prompt: 'Hello there', maxTokens: 150, temperature: 1, seed: 4 };
    const probe = await scene.execute(job);
    const stop = decoded(probe.result.tokenIds!.slice(120, 123));
    const long = await scene.execute({ ...job, stop: [stop] });
    expect(long.result.finishReason).toBe('stop');
    const ids = [...long.result.tokenIds!];
    expect(ids.length).toBeGreaterThan(60);
    const special = scene.tokenizer.encode('<|im_start|>', { add_special_tokens: false })[0];
    ids.splice(ids.length - 1, 0, special);
    const claim = { ...claimOf(long), tokenIds: ids, completionTokens: ids.length };
    expect(decoded(ids)).toBe(decoded(long.result.tokenIds!));
    const v = await runAudit(scene.forged(long, { ...claim, text: long.result.text }), scene.deps(AUD));
    expect(v.outcome, v.reason).toBe('fail');
    expect(v.reason).toMatch(/decode to no text/);
  }, 60_000);

  it('an id past the vocabulary, more ids than maxTokens, ids on past EOS: fail (not unable)', async () => {
    const base = claimOf(r);
    const eos = scene.tokenizer.encode('<|endoftext|>', { add_special_tokens: false })[0];
    const variants: number[][] = [
      [...r.result.tokenIds!.slice(0, -1), scene.vocabSize],
      [...r.result.tokenIds!.slice(0, -1), 2 ** 31 - 1],
      [...r.result.tokenIds!, 5],
      [r.result.tokenIds![0], eos, ...r.result.tokenIds!.slice(2)],
    ];
    for (const ids of variants) {
      const text = ids.every((t) => t < scene.vocabSize) ? decoded(ids) : base.text;
      const v = await runAudit(
        scene.forged(r, { ...base, text, tokenIds: ids, completionTokens: ids.length }),
        scene.deps(AUD),
      );
      expect(v.outcome, `${ids}: ${v.reason}`).toBe('fail');
    }
  });

  it('a huge ids array is refused by the budget before any pass', async () => {
    const ids = Array.from({ length: 50_000 }, () => 1);
    const v = await runAudit(
      scene.forged(r, { ...claimOf(r), tokenIds: ids, completionTokens: ids.length }),
      scene.deps(AUD),
    );
    expect(v.outcome).not.toBe('pass');
  });
});

describe('a hostile rig downgrading to result v1 (no ids) to bill more', () => {
  // Protocol 1 is still accepted, and a rig's result need not carry ids. On this byte-level BPE model the v1
  // path (the text re-encoded) can't confirm such an output at all, so an overcount gains nothing here; on a
  // model whose texts re-encode canonically an overcount up to one token per byte is 'unable' (recountFinding),
  // which stands until protocol 1 is refused (see the attack report).
  it('a v1 result counting more completion tokens than it drew does not pass', async () => {
    const r = await scene.execute({
      kind: 'generate',
      prompt: 'Hello there',
      maxTokens: 40,
      temperature: 0,
      stop: ['e'],
    });
    expect(r.result.finishReason).toBe('stop');
    const { tokenIds: _ids, ...v1 } = claimOf(r);
    for (const over of [r.result.completionTokens + 1, r.body.maxTokens]) {
      const v = await runAudit(scene.forged(r, { ...v1, completionTokens: over }), scene.deps(AUD));
      expect(v.outcome).not.toBe('pass');
    }
  }, 60_000);
});
