// Attack review (token ids are the truth, #27 item 2), on the byte-level BPE test decoder through the worker's
// own job runner and audit runner. A hostile user picks job parameters where scoring ids and generating them
// might disagree: an honest rig must still pass. A hostile rig seals ids that aren't what the model drew, or
// more ids than it drew, or drops the ids (protocol 1) to bill more: it must not pass.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type AssignMessage,
  type AuditMessage,
  commitResult,
  type FinalResult,
  type JobBody,
  openAuditCopy,
  openJob,
  sealAuditCopy,
  sealJob,
  type WorkerToProxy,
} from '@cocoon/shared';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit } from './audit-runner';
import { silentEngineLogger } from './engine/logger';
import { runAssignedJob } from './job-runner';
import { loadOrCreateKeys } from './keys';
import { type CausalLM, loadCausalLM } from './models/causal-lm/runner';
import { TINY_QWEN2, writeTestDecoder } from './models/causal-lm/test-decoder/index';
import { lmModel, type Model } from './models/index';

const EXEC = '11111111-1111-4111-8111-111111111111';
const AUD = '22222222-2222-4222-8222-222222222222';
const MODEL = 'tiny-qwen2';
let root: string;
let lm: CausalLM;
let model: Model;
let tokenizer: PreTrainedTokenizer;
let vocabSize: number;
let executor: ReturnType<typeof loadOrCreateKeys>;
let auditor: ReturnType<typeof loadOrCreateKeys>;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cocoon-audit-attack-'));
  executor = loadOrCreateKeys(path.join(root, 'executor'));
  auditor = loadOrCreateKeys(path.join(root, 'auditor'));
  const info = await writeTestDecoder(path.join(root, MODEL), TINY_QWEN2);
  const read = (f: string) => JSON.parse(readFileSync(path.join(info.dir, f), 'utf8'));
  tokenizer = new PreTrainedTokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
  vocabSize = read('config.json').vocab_size;
  lm = await loadCausalLM(info.dir, { device: 'cpu', logger: silentEngineLogger });
  model = lmModel(MODEL, lm, 'tiny qwen2', 'digest');
}, 120_000);
afterAll(async () => {
  await lm?.dispose();
  await rm(root, { recursive: true, force: true });
});

const deps = (rigId: string) => ({
  rigId,
  keys: rigId === EXEC ? executor : auditor,
  models: new Map([[MODEL, model]]),
});

interface Ran {
  body: JobBody;
  assign: AssignMessage;
  done: Extract<WorkerToProxy, { type: 'done' }>;
  result: FinalResult;
}

async function execute(body: JobBody): Promise<Ran> {
  const jobId = crypto.randomUUID();
  const keys = [
    { rigId: EXEC, x25519PublicKey: executor.x25519.publicKey },
    { rigId: AUD, x25519PublicKey: auditor.x25519.publicKey },
  ];
  const envelope = sealJob(body, keys, jobId).envelope;
  const assign: AssignMessage = {
    type: 'assign',
    jobId,
    model: MODEL,
    kind: body.kind,
    envelope,
    aad: jobId,
    inputTokens: 600,
    maxTokens: body.maxTokens,
    leaseMs: 60_000,
  };
  const sent: WorkerToProxy[] = [];
  await runAssignedJob(assign, deps(EXEC), (m) => sent.push(m), new AbortController().signal);
  const done = sent.find((m) => m.type === 'done');
  if (done?.type !== 'done' || !done.auditCopy) throw new Error(`no audit copy: ${JSON.stringify(sent)}`);
  const { result } = openAuditCopy(envelope, AUD, auditor.x25519.secretKey, jobId, done.auditCopy);
  return { body, assign, done, result: result as FinalResult };
}

function auditOf(r: Ran, copy = r.done.auditCopy!, receipt: AuditMessage['receipt'] = r.done.receipt) {
  return {
    type: 'audit' as const,
    auditId: crypto.randomUUID(),
    jobId: r.assign.jobId,
    model: MODEL,
    kind: r.body.kind,
    envelope: r.assign.envelope,
    aad: r.assign.aad,
    auditCopy: copy,
    receipt,
    inputTokens: r.assign.inputTokens,
    maxTokens: r.assign.maxTokens,
  };
}

/** What a cheating rig seals for auditors instead, committed and signed as such. */
function forged(r: Ran, result: Omit<FinalResult, 'salt'>): AuditMessage {
  const { state } = openJob(r.assign.envelope, EXEC, executor.x25519.secretKey, r.assign.aad);
  const { final, commitment } = commitResult(result);
  const receipt = { promptTokens: final.promptTokens, completionTokens: final.completionTokens, commitment };
  return auditOf(r, sealAuditCopy(state, final), receipt);
}
const claimOf = (r: Ran) => {
  const { salt: _salt, ...claim } = r.result;
  return claim;
};
const decoded = (ids: number[]) => tokenizer.decode(ids, { skip_special_tokens: true });

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
      const r = await execute(body);
      // The context-filling prompt leaves fewer new tokens than max_tokens: generation ends at the context.
      if (name.includes('context')) expect(r.result.promptTokens + r.result.completionTokens).toBe(512);
      const v = await runAudit(auditOf(r), deps(AUD));
      expect(v, JSON.stringify(r.result)).toMatchObject({ outcome: 'pass', reason: '' });
    }, 60_000);
});

describe('a hostile rig with result v2', () => {
  let r: Ran;
  beforeAll(async () => {
    r = await execute({ kind: 'generate', prompt: 'Hello there', maxTokens: 12, temperature: 1, seed: 9 });
  }, 60_000);

  it('a special token slipped in (hidden by skip_special_tokens) to bill one more: fails', async () => {
    const ids = [...r.result.tokenIds!];
    const special = tokenizer.encode('<|im_start|>', { add_special_tokens: false });
    expect(special).toHaveLength(1);
    ids.splice(ids.length - 1, 0, special[0]);
    const claim = {
      ...claimOf(r),
      tokenIds: ids,
      completionTokens: ids.length,
      finishReason: 'stop' as const,
    };
    expect(decoded(ids)).toBe(decoded(r.result.tokenIds!));
    const v = await runAudit(forged(r, { ...claim, text: decoded(ids) }), deps(AUD));
    expect(v.outcome).toBe('fail');
  });

  it('one special token slipped into a long output (under the 2 % the threshold allows): fails', async () => {
    // Slipped in before the last id: it and the id after it disagree, 2 of 100+ positions, inside the
    // float-noise margin: agreement alone passes it.
    // A stop-ended output (only there can a rig add a token without passing max_tokens): the job's stop is a
    // piece of what the same seed writes late in a run without one.
    const job = { kind: 'generate' as const, prompt: 'Hello there', maxTokens: 150, temperature: 1, seed: 4 };
    const probe = await execute(job);
    const stop = decoded(probe.result.tokenIds!.slice(120, 123));
    const long = await execute({ ...job, stop: [stop] });
    expect(long.result.finishReason).toBe('stop');
    const ids = [...long.result.tokenIds!];
    expect(ids.length).toBeGreaterThan(60);
    const special = tokenizer.encode('<|im_start|>', { add_special_tokens: false })[0];
    ids.splice(ids.length - 1, 0, special);
    const claim = { ...claimOf(long), tokenIds: ids, completionTokens: ids.length };
    expect(decoded(ids)).toBe(decoded(long.result.tokenIds!));
    const v = await runAudit(forged(long, { ...claim, text: long.result.text }), deps(AUD));
    expect(v.outcome, v.reason).toBe('fail');
    expect(v.reason).toMatch(/decode to no text/);
  }, 60_000);

  it('an id past the vocabulary, more ids than maxTokens, ids on past EOS: fail (not unable)', async () => {
    const base = claimOf(r);
    const eos = tokenizer.encode('<|endoftext|>', { add_special_tokens: false })[0];
    const variants: number[][] = [
      [...r.result.tokenIds!.slice(0, -1), vocabSize],
      [...r.result.tokenIds!.slice(0, -1), 2 ** 31 - 1],
      [...r.result.tokenIds!, 5],
      [r.result.tokenIds![0], eos, ...r.result.tokenIds!.slice(2)],
    ];
    for (const ids of variants) {
      const text = ids.every((t) => t < vocabSize) ? decoded(ids) : base.text;
      const v = await runAudit(
        forged(r, { ...base, text, tokenIds: ids, completionTokens: ids.length }),
        deps(AUD),
      );
      expect(v.outcome, `${ids}: ${v.reason}`).toBe('fail');
    }
  });

  it('a huge ids array is refused by the budget before any pass', async () => {
    const ids = Array.from({ length: 50_000 }, () => 1);
    const v = await runAudit(
      forged(r, { ...claimOf(r), tokenIds: ids, completionTokens: ids.length }),
      deps(AUD),
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
    const r = await execute({
      kind: 'generate',
      prompt: 'Hello there',
      maxTokens: 40,
      temperature: 0,
      stop: ['e'],
    });
    expect(r.result.finishReason).toBe('stop');
    const { tokenIds: _ids, ...v1 } = claimOf(r);
    for (const over of [r.result.completionTokens + 1, r.body.maxTokens]) {
      const v = await runAudit(forged(r, { ...v1, completionTokens: over }), deps(AUD));
      expect(v.outcome).not.toBe('pass');
    }
  }, 60_000);
});
