// Audits of v2 results (with token ids) on a real model, end to end through the worker's own code: the
// executing rig runs the job (job-runner), its done message becomes the audit, the auditing rig scores the
// committed ids (audit-runner). Honest sampled, stopped and cut outputs pass at 100 %; another seed's output,
// edited ids, a text that isn't the ids' decoding, ids past max tokens, and ids claimed for a model that has
// none fail. A v1 result of the same output still takes today's path.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type AssignMessage,
  type AuditMessage,
  commitResult,
  type FinalResult,
  type JobBody,
  openJob,
  sealAuditCopy,
  sealJob,
  type WorkerToProxy,
} from '@cocoon/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit } from './audit-runner';
import { silentEngineLogger } from './engine/logger';
import { modelInput, runAssignedJob } from './job-runner';
import { loadOrCreateKeys } from './keys';
import { type CausalLM, loadCausalLM } from './models/causal-lm/runner';
import { TINY_CHAIN, writeTinyModel } from './models/causal-lm/tiny-model';
import { lmModel, type Model } from './models/index';

const dir = mkdtempSync(path.join(tmpdir(), 'cocoon-audit-ids-'));
const executor = loadOrCreateKeys(path.join(dir, 'executor'));
const auditor = loadOrCreateKeys(path.join(dir, 'auditor'));
const EXEC = '11111111-1111-4111-8111-111111111111';
const AUD = '22222222-2222-4222-8222-222222222222';
const MODEL = 'tiny-gpt';
let lm: CausalLM;
let model: Model;

beforeAll(async () => {
  const modelDir = path.join(dir, MODEL);
  await writeTinyModel(modelDir, { chain: TINY_CHAIN, contextLength: 48 });
  lm = await loadCausalLM(modelDir, { device: 'cpu', logger: silentEngineLogger });
  model = lmModel(MODEL, lm, 'tiny', 'digest');
});
afterAll(async () => {
  await lm?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const execDeps = () => ({ rigId: EXEC, keys: executor, models: new Map([[MODEL, model]]) });
const audDeps = (m: Model = model) => ({ rigId: AUD, keys: auditor, models: new Map([[MODEL, m]]) });

function seal(body: JobBody, jobId: string) {
  return sealJob(
    body,
    [
      { rigId: EXEC, x25519PublicKey: executor.x25519.publicKey },
      { rigId: AUD, x25519PublicKey: auditor.x25519.publicKey },
    ],
    jobId,
  ).envelope;
}

/** Runs `body` on the executing rig, as assigned by the proxy; returns its done message and the assign. */
async function execute(body: JobBody) {
  const jobId = crypto.randomUUID();
  const assign: AssignMessage = {
    type: 'assign',
    jobId,
    model: MODEL,
    kind: body.kind,
    envelope: seal(body, jobId),
    aad: jobId,
    inputTokens: 40,
    maxTokens: body.maxTokens,
    leaseMs: 60_000,
  };
  const sent: WorkerToProxy[] = [];
  await runAssignedJob(assign, execDeps(), (m) => sent.push(m), new AbortController().signal);
  const done = sent.find((m) => m.type === 'done');
  if (done?.type !== 'done') throw new Error(`the job did not finish: ${JSON.stringify(sent.at(-1))}`);
  return { assign, done };
}

/** The proxy's audit order for a finished job (audits/service.ts orderAudit). */
function auditOf(
  assign: AssignMessage,
  copy: AuditMessage['auditCopy'],
  receipt: AuditMessage['receipt'],
): AuditMessage {
  return {
    type: 'audit',
    auditId: crypto.randomUUID(),
    jobId: assign.jobId,
    model: MODEL,
    kind: assign.kind,
    envelope: assign.envelope,
    aad: assign.aad,
    auditCopy: copy,
    receipt,
    inputTokens: assign.inputTokens,
    maxTokens: assign.maxTokens,
  };
}

/** What a cheating executor seals for auditors instead, committed and signed as such. */
function forged(assign: AssignMessage, result: Omit<FinalResult, 'salt'>): AuditMessage {
  const { state } = openJob(assign.envelope, EXEC, executor.x25519.secretKey, assign.aad);
  const { final, commitment } = commitResult(result);
  return auditOf(assign, sealAuditCopy(state, final), {
    promptTokens: final.promptTokens,
    completionTokens: final.completionTokens,
    commitment,
  });
}

/** A job assigned to the executing rig, and what its model gives for it (the same as the rig sealed). */
async function honestResult(body: JobBody) {
  const { assign, done } = await execute(body);
  const r = await model.run(modelInput(assign, body, execDeps()).input, () => {});
  return { assign, done, r };
}

const sampled = (seed: number, over: Partial<Extract<JobBody, { kind: 'generate' }>> = {}): JobBody => ({
  kind: 'generate',
  prompt: 'the quick',
  maxTokens: 24,
  temperature: 1.5,
  topP: 1,
  seed,
  ...over,
});

describe('audits of v2 results', () => {
  it('passes honest sampled, stopped and cut outputs at 100 %', async () => {
    const bodies = [
      ...[1, 2, 3, 4].map((seed) => sampled(seed)),
      sampled(5, { stop: ['dog'] }),
      sampled(6, { maxTokens: 3 }),
      { kind: 'chat', messages: [{ role: 'user', content: 'the lazy' }], maxTokens: 12, seed: 9 } as JobBody,
    ];
    for (const body of bodies) {
      const { assign, done } = await execute(body);
      expect(done.auditCopy).toBeDefined();
      const v = await runAudit(auditOf(assign, done.auditCopy!, done.receipt), audDeps());
      expect(v).toMatchObject({ outcome: 'pass', agreementPpm: 1_000_000, reason: '' });
    }
  });

  it("fails another seed's output, committed and signed as this job's", async () => {
    let fails = 0;
    for (let i = 0; i < 4; i++) {
      const { assign } = await execute(sampled(10 + i));
      const other = await honestResult(sampled(20 + i));
      const r = other.r;
      const v = await runAudit(
        forged(assign, { ...r, finishReason: r.finishReason ?? 'stop', tokenIds: r.tokenIds }),
        audDeps(),
      );
      if (v.outcome === 'fail') fails++;
      expect(v.outcome).not.toBe('pass');
    }
    expect(fails).toBe(4);
  });

  it('fails edited ids, a text that is not their decoding, and ids past max tokens', async () => {
    const body = sampled(3, { temperature: 0 });
    const { r, assign } = await honestResult(body);
    const honest = { ...r, finishReason: r.finishReason ?? 'stop', tokenIds: r.tokenIds ?? [] };
    const edited = [...honest.tokenIds];
    edited[2] = edited[2] === 6 ? 7 : 6;
    const v1 = await runAudit(forged(assign, { ...honest, tokenIds: edited }), audDeps());
    expect(v1).toMatchObject({ outcome: 'fail', reason: expect.stringMatching(/decoding|agree/) });

    const v2 = await runAudit(forged(assign, { ...honest, text: `${honest.text} and more` }), audDeps());
    expect(v2).toMatchObject({ outcome: 'fail', reason: 'the text is not the decoding of its token ids' });

    const long = [...honest.tokenIds, ...new Array(30).fill(honest.tokenIds[0])];
    const v3 = await runAudit(
      forged(assign, { ...honest, completionTokens: long.length, tokenIds: long }),
      audDeps(),
    );
    expect(v3).toMatchObject({ outcome: 'fail', reason: expect.stringMatching(/more than the job's 24/) });

    const truncated = honest.tokenIds.slice(0, 3);
    const v4 = await runAudit(
      forged(assign, { ...honest, completionTokens: 3, tokenIds: truncated, text: 'brown fox jumps' }),
      audDeps(),
    );
    expect(v4.outcome).toBe('fail');
  });

  it('fails ids claimed for a model that has none', async () => {
    const { assign, done } = await execute(sampled(1));
    const noIds: Model = { ...model, scoreIds: undefined };
    const v = await runAudit(auditOf(assign, done.auditCopy!, done.receipt), audDeps(noIds));
    expect(v).toMatchObject({ outcome: 'fail', reason: expect.stringMatching(/generates none/) });
  });

  it('still audits a v1 result (no ids, an older worker) on its text', async () => {
    const { r, assign } = await honestResult(sampled(2));
    const { tokenIds: _ids, ...v1 } = { ...r, finishReason: r.finishReason ?? 'stop' };
    const v = await runAudit(forged(assign, v1), audDeps());
    // The tiny model's word-level tokenizer re-encodes canonically: the old path passes it.
    expect(v).toMatchObject({ outcome: 'pass' });
  });
});
