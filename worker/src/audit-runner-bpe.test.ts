// Issue 27 item 2, the test it asks for: on a byte-level BPE model (the project's random-weight Qwen2 test
// decoder), sampled outputs often take a split of the text that is not the tokenizer's canonical one, so
// re-encoding the text gives other ids and the old audit (scoring the re-encoded text) failed honest rigs.
// With the ids committed (result v2) every honest output scores 100 % through the worker's own job and audit
// code; forged outputs (another seed's, the canonical re-encoding claimed as the draws, a text that isn't the
// ids' decoding) still fail.
import type { JobBody } from '@cocoon/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_AGREEMENT_THRESHOLD, runAudit } from './audit-runner';
import { AUD, type AuditScene, openAuditScene, type Ran as SceneRan } from './audit-test-scene';
import { NON_CANONICAL_CASE } from './models/causal-lm/test-decoder/non-canonical';

type Ran<B extends JobBody = Extract<JobBody, { kind: 'generate' }>> = SceneRan<B>;
let scene: AuditScene;
const ran: Ran[] = [];

const PROMPTS = ['Hello there, how are you?', 'The engine of the', 'Write a short poem about the sea'];
type Body = Ran['body'];
/**
 * Sampled jobs at temperature 1: a random-weight model draws lone byte tokens, so most texts hold U+FFFD and
 * re-encode to other ids. One ends at a stop sequence.
 */
const JOBS: Body[] = Array.from({ length: 8 }, (_, i) => ({
  kind: 'generate' as const,
  prompt: PROMPTS[i % PROMPTS.length],
  maxTokens: 12,
  temperature: 1,
  topP: 0.95,
  seed: 500 + i,
  ...(i === 4 ? { stop: ['a', 'o'] } : {}),
}));
/** Cooler jobs whose text is valid UTF-8 but whose split isn't canonical (" three" drawn, " th" "re" "e"...). */
const VALID_BUT_NOT_CANONICAL = 3;

/** Seeds of `base` whose output is well-formed text that re-encodes to other ids (found, not hard-coded). */
async function nonCanonicalJobs(base: Omit<Body, 'seed'>, want: number): Promise<Body[]> {
  const found: Body[] = [];
  for (let seed = 0; seed < 1000 && found.length < want; seed++) {
    const r = await scene.lm.generate({ ...base, seed });
    if (r.text.includes('\uFFFD') || r.finishReason !== 'length') continue;
    const reencoded = scene.tokenizer.encode(r.text, { add_special_tokens: false });
    if (JSON.stringify(reencoded) !== JSON.stringify(r.tokenIds)) found.push({ ...base, seed });
  }
  return found;
}

beforeAll(async () => {
  scene = await openAuditScene({ tmpPrefix: 'cocoon-audit-bpe-', inputTokens: 200 });
  const cool = {
    kind: 'generate' as const,
    prompt: 'The engine of the',
    maxTokens: 8,
    temperature: 0.3,
    topP: 1,
  };
  const known: Body = {
    kind: 'generate',
    prompt: NON_CANONICAL_CASE.prompt,
    maxTokens: NON_CANONICAL_CASE.maxTokens,
    ...NON_CANONICAL_CASE.params,
  };
  // No sampling set: the model's generation_config decides (Qwen's temperature 0.7, top_k 20, top_p 0.8).
  const defaults: Body = { kind: 'generate', prompt: PROMPTS[0], maxTokens: 12, seed: 77 };
  const bodies = [...JOBS, known, defaults, ...(await nonCanonicalJobs(cool, VALID_BUT_NOT_CANONICAL))];
  for (const body of bodies) ran.push(await scene.execute(body));
}, 120_000);
afterAll(async () => {
  await scene?.close();
});

/** The text's canonical ids (what the old audit scored), and whether the sampled ids differ from them. */
function canonical(r: Ran) {
  const ids = r.result.tokenIds ?? [];
  const last = ids.at(-1);
  const eos =
    r.result.finishReason === 'stop' &&
    last !== undefined &&
    scene.tokenizer.decode([last], { skip_special_tokens: true }) === '';
  const shown = eos ? ids.slice(0, -1) : ids;
  const reencoded: number[] = scene.tokenizer.encode(r.result.text, { add_special_tokens: false });
  return { reencoded, differs: JSON.stringify(reencoded) !== JSON.stringify(shown), eos };
}

describe('audits on a byte-level BPE model', () => {
  it('has honest jobs whose text re-encodes to other ids than the model drew (the premise)', () => {
    const differing = ran.filter((r) => canonical(r).differs && !r.body.stop);
    expect(differing.length).toBeGreaterThanOrEqual(VALID_BUT_NOT_CANONICAL + 3);
    const wellFormed = differing.filter((r) => !r.result.text.includes('\uFFFD'));
    expect(wellFormed.length).toBeGreaterThanOrEqual(VALID_BUT_NOT_CANONICAL);
    // The test decoder's known case (the runner draws exactly the ids its bare loop did).
    expect(canonical(ran.find((r) => r.body.prompt === NON_CANONICAL_CASE.prompt)!).differs).toBe(true);
    for (const r of ran) expect(r.result.tokenIds?.length).toBe(r.result.completionTokens);
    // The stop job did stop at its stop sequence: its ids hold the tokens the text hides.
    const stopped = ran.find((r) => r.body.stop)!;
    expect(stopped.result.finishReason).toBe('stop');
    expect(stopped.result.tokenIds!.length).toBeLessThan(stopped.body.maxTokens);
  });

  it('scores every honest output 100 % from its committed ids, and passes it', async () => {
    for (const r of ran) {
      const v = await runAudit(scene.auditOf(r), scene.deps(AUD));
      expect(v).toMatchObject({ outcome: 'pass', agreementPpm: 1_000_000, reason: '' });
    }
  });

  it('(the old path, for the record) scores the re-encoded text of such outputs below 100 %', async () => {
    const agreements: number[] = [];
    for (const r of ran.filter((x) => canonical(x).differs && !x.body.stop)) {
      const s = await scene.lm.score({
        ...r.body,
        completion: r.result.text,
        finishReason: r.result.finishReason,
      });
      agreements.push(s.agreement);
    }
    expect(Math.min(...agreements)).toBeLessThan(1);
  });

  it("fails another seed's output committed as this job's", async () => {
    for (let i = 0; i < 3; i++) {
      const victim = ran[i];
      const other = ran[i + 3]; // same prompt, another seed
      expect(other.body.prompt).toBe(victim.body.prompt);
      const { salt: _salt, ...claim } = other.result;
      const v = await runAudit(scene.forged(victim, claim), scene.deps(AUD));
      expect(v.outcome).toBe('fail');
    }
  });

  it('fails the canonical re-encoding claimed as the draws: the text decodes right, the ids are not the model’s', async () => {
    const wellFormed = ran.filter(
      (x) => canonical(x).differs && !x.result.text.includes('\uFFFD') && !x.body.stop,
    );
    expect(wellFormed.length).toBeGreaterThanOrEqual(VALID_BUT_NOT_CANONICAL);
    for (const r of wellFormed) {
      const { reencoded, eos } = canonical(r);
      const { salt: _salt, ...honest } = r.result;
      // The strongest such claim keeps the end-of-sequence token the text hides.
      const ids = eos ? [...reencoded, r.result.tokenIds!.at(-1)!] : reencoded;
      const claim = { ...honest, tokenIds: ids, completionTokens: ids.length };
      const v = await runAudit(scene.forged(r, claim), scene.deps(AUD));
      expect(v.outcome).toBe('fail');
      expect(v.agreementPpm).toBeLessThan(AUDIT_AGREEMENT_THRESHOLD * 1_000_000);
    }
  });

  it('scores a summary by a language model (greedy) from its ids too, and fails an edited one', async () => {
    const messages = [
      { author: 'ann', text: 'We ship the engine build on Friday at 10am.' },
      { author: 'bo', text: 'I will write the release notes by Thursday.' },
    ];
    const r = await scene.execute({ kind: 'summarize', messages, maxTokens: 16 });
    expect(r.result.tokenIds?.length).toBe(r.result.completionTokens);
    expect(await runAudit(scene.auditOf(r), scene.deps(AUD))).toMatchObject({
      outcome: 'pass',
      agreementPpm: 1_000_000,
    });
    const { salt: _salt, ...honest } = r.result;
    const v = await runAudit(
      scene.forged(r, { ...honest, text: `${honest.text} and more` }),
      scene.deps(AUD),
    );
    expect(v.outcome).toBe('fail');
  });

  it('fails a text that is not the decoding of its ids, and edited ids', async () => {
    const r = ran[0];
    const { salt: _salt, ...honest } = r.result;
    const text = await runAudit(scene.forged(r, { ...honest, text: `${honest.text}!` }), scene.deps(AUD));
    expect(text).toMatchObject({ outcome: 'fail', reason: 'the text is not the decoding of its token ids' });
    const ids = [...honest.tokenIds!];
    ids[1] = (ids[1] + 1) % 200;
    const edited = await runAudit(
      scene.forged(r, {
        ...honest,
        tokenIds: ids,
        text: scene.tokenizer.decode(ids, { skip_special_tokens: true }),
      }),
      scene.deps(AUD),
    );
    expect(edited.outcome).toBe('fail');
  });
});
