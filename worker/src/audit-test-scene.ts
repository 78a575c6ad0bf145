// Test helper (no product code imports it): two rigs on the project's random-weight byte-level BPE test
// decoder, one executing jobs through the worker's own job runner and one auditing them through its audit
// runner, and the forgeries a cheating executor would seal for auditors. Shared by the audit-runner suites.
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
import { silentEngineLogger } from './engine/logger';
import { runAssignedJob } from './job-runner';
import { loadOrCreateKeys } from './keys';
import { type CausalLM, loadCausalLM } from './models/causal-lm/runner';
import { TINY_QWEN2, writeTestDecoder } from './models/causal-lm/test-decoder/index';
import { lmModel } from './models/index';

export const EXEC = '11111111-1111-4111-8111-111111111111';
export const AUD = '22222222-2222-4222-8222-222222222222';
export const MODEL = 'tiny-qwen2';

/** A job the executing rig ran: its body, the assign it got, the done it sent, the result auditors open. */
export interface Ran<B extends JobBody = JobBody> {
  body: B;
  assign: AssignMessage;
  done: Extract<WorkerToProxy, { type: 'done' }>;
  result: FinalResult;
}

export interface AuditScene {
  lm: CausalLM;
  tokenizer: PreTrainedTokenizer;
  vocabSize: number;
  /** What the job runner and audit runner of rig `rigId` (EXEC or AUD) are given. */
  deps(rigId: string): Parameters<typeof runAssignedJob>[1];
  /** The job, sealed to both rigs, assigned to the executing rig and run by the worker's job runner. */
  execute<B extends JobBody>(body: B): Promise<Ran<B>>;
  /** The audit of `r` as the proxy sends it to the auditor (by default with the executor's own copy). */
  auditOf(r: Ran, copy?: AuditMessage['auditCopy'], receipt?: AuditMessage['receipt']): AuditMessage;
  /** What a cheating executing rig seals for auditors instead, committed and signed as such. */
  forged(r: Ran, result: Omit<FinalResult, 'salt'>): AuditMessage;
  close(): Promise<void>;
}

/** Writes the test decoder and both rigs' keys under a fresh temporary folder named `tmpPrefix`…. */
export async function openAuditScene(opts: { tmpPrefix: string; inputTokens: number }): Promise<AuditScene> {
  const root = await mkdtemp(path.join(tmpdir(), opts.tmpPrefix));
  const executor = loadOrCreateKeys(path.join(root, 'executor'));
  const auditor = loadOrCreateKeys(path.join(root, 'auditor'));
  const info = await writeTestDecoder(path.join(root, MODEL), TINY_QWEN2);
  const read = (f: string) => JSON.parse(readFileSync(path.join(info.dir, f), 'utf8'));
  const tokenizer = new PreTrainedTokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
  const vocabSize: number = read('config.json').vocab_size;
  const lm = await loadCausalLM(info.dir, { device: 'cpu', logger: silentEngineLogger });
  const model = lmModel(MODEL, lm, 'tiny qwen2', 'digest');

  const deps = (rigId: string) => ({
    rigId,
    keys: rigId === EXEC ? executor : auditor,
    models: new Map([[MODEL, model]]),
  });

  async function execute<B extends JobBody>(body: B): Promise<Ran<B>> {
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
      inputTokens: opts.inputTokens,
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

  function auditOf(
    r: Ran,
    copy = r.done.auditCopy!,
    receipt: AuditMessage['receipt'] = r.done.receipt,
  ): AuditMessage {
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

  function forged(r: Ran, result: Omit<FinalResult, 'salt'>): AuditMessage {
    const { state } = openJob(r.assign.envelope, EXEC, executor.x25519.secretKey, r.assign.aad);
    const { final, commitment } = commitResult(result);
    const receipt = {
      promptTokens: final.promptTokens,
      completionTokens: final.completionTokens,
      commitment,
    };
    return auditOf(r, sealAuditCopy(state, final), receipt);
  }

  return {
    lm,
    tokenizer,
    vocabSize,
    deps,
    execute,
    auditOf,
    forged,
    async close() {
      await lm.dispose();
      await rm(root, { recursive: true, force: true });
    },
  };
}
