// The auditing rig's checks that need no model: bounds on what it opens, jobs not sealed to it, copies that
// don't match the signed commitment. (The model checks run against real models in e2e/integration/audits.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type AuditMessage,
  commitResult,
  fromBase64,
  openJob,
  requestHash,
  sealAuditCopy,
  sealJob,
  verifyVerdict,
} from '@cocoon/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { runAudit } from './audit-runner';
import { loadOrCreateKeys } from './keys';
import type { Model } from './models/index';

const dir = mkdtempSync(path.join(tmpdir(), 'cocoon-audit-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const executor = loadOrCreateKeys(path.join(dir, 'executor'));
const auditor = loadOrCreateKeys(path.join(dir, 'auditor'));
const EXEC = '11111111-1111-4111-8111-111111111111';
const AUD = '22222222-2222-4222-8222-222222222222';
const JOB = '33333333-3333-4333-8333-333333333333';

/** A job sealed to both rigs, its result committed and copied for the auditor by the executor. */
function audit(
  over: {
    text?: string;
    copyText?: string;
    recipients?: string[];
    completionTokens?: number;
    summarize?: boolean;
  } = {},
): AuditMessage {
  const rigs = over.recipients ?? [EXEC, AUD];
  const keyOf = (id: string) => (id === EXEC ? executor : auditor).x25519.publicKey;
  const { envelope } = sealJob(
    over.summarize
      ? { kind: 'summarize', messages: [{ author: 'ann', text: 'hello there' }], maxTokens: 8 }
      : { kind: 'generate', prompt: 'hello there', maxTokens: 8, seed: 1 },
    rigs.map((rigId) => ({ rigId, x25519PublicKey: keyOf(rigId) })),
    JOB,
  );
  const { state } = openJob(envelope, EXEC, executor.x25519.secretKey, JOB);
  const { final, commitment } = commitResult({
    text: over.text ?? 'general kenobi',
    promptTokens: 3,
    completionTokens: over.completionTokens ?? 2,
    finishReason: 'stop',
  });
  const copy = sealAuditCopy(state, { ...final, text: over.copyText ?? final.text });
  return {
    type: 'audit',
    auditId: '44444444-4444-4444-8444-444444444444',
    jobId: JOB,
    model: 'demo-gen',
    kind: over.summarize ? 'summarize' : 'generate',
    envelope,
    aad: JOB,
    auditCopy: copy,
    receipt: { promptTokens: 3, completionTokens: over.completionTokens ?? 2, commitment },
    inputTokens: 100,
    maxTokens: 8,
  };
}

const deps = { rigId: AUD, keys: auditor, models: new Map() };

/**
 * A generate model made up for the test: its tokenizer counts `promptTokens` for the prompt, and its scorer
 * agrees with every position of the claimed text, which re-encodes to `reencoded` tokens.
 */
function scoringModel(promptTokens: number, reencoded: number): Model {
  return {
    id: 'demo-gen',
    kind: 'generate',
    accepts: ['generate'],
    contextLength: 1000,
    description: 'test',
    demoGrade: true,
    provider: 'cpu',
    run: async () => {
      throw new Error('not run in this test');
    },
    countPromptTokens: () => promptTokens,
    score: async () => ({
      promptTokens,
      completionTokens: reencoded,
      positions: reencoded + 1,
      agreeing: reencoded + 1,
      agreement: 1,
      endAgrees: true,
    }),
    dispose: async () => {},
  };
}
const withModel = (m: Model) => ({ ...deps, models: new Map([[m.id, m]]) });

describe('runAudit', () => {
  it('signs a verdict over the request and the commitment it was given', async () => {
    const msg = audit();
    const v = await runAudit(msg, deps);
    expect(v).toMatchObject({ requestHash: requestHash(msg.envelope), commitment: msg.receipt.commitment });
    expect(verifyVerdict(v, v.signature, auditor.ed25519.publicKey)).toBe(true);
    // No model here: it can't judge the output, and says so rather than failing the rig.
    expect(v.outcome).toBe('unable');
  });

  it('fails a copy that is not what the receipt committed to', async () => {
    const v = await runAudit(audit({ copyText: 'something else' }), deps);
    expect(v).toMatchObject({ outcome: 'fail', reason: expect.stringContaining("receipt's commitment") });
  });

  it('is unable, not failing, when the job was not sealed to it or is over its bounds', async () => {
    expect((await runAudit(audit({ recipients: [EXEC] }), deps)).outcome).toBe('unable');
    const huge = audit();
    huge.auditCopy = { ...huge.auditCopy, ciphertext: 'A'.repeat(2_000_000) };
    const v = await runAudit(huge, deps);
    expect(v).toMatchObject({ outcome: 'unable', reason: expect.stringContaining('larger') });
    expect(fromBase64(v.signature).length).toBe(64);
  });

  it('never fails a sampled output on a recount of its re-encoded text: a sampled split need not be canonical', async () => {
    // The receipt counts 12 completion tokens; re-encoding the text gives 4. An honest rig can sample a split
    // that re-encodes shorter, so this is no evidence against it: two honest auditors saying 'fail' here
    // would convict it. Until the committed token ids exist (the engine issue) the auditor can't tell.
    const v = await runAudit(audit({ completionTokens: 12 }), withModel(scoringModel(3, 4)));
    expect(v.outcome).not.toBe('fail');
    expect(v).toMatchObject({
      outcome: 'unable',
      reason: expect.stringMatching(/receipt says 12.*re-encod/),
    });
    // Past one token per byte of the text ("general kenobi" is 14 bytes, one end token hidden) no split
    // can give the count: that is a fail.
    const over = await runAudit(audit({ completionTokens: 36 }), withModel(scoringModel(3, 4)));
    expect(over).toMatchObject({
      outcome: 'fail',
      reason: expect.stringMatching(/more than one token per byte/),
    });
    // A receipt within the tokens the text can hide (an end-of-sequence token) passes, as before.
    const fine = await runAudit(audit({ completionTokens: 5 }), withModel(scoringModel(3, 4)));
    expect(fine.outcome).toBe('pass');
  });

  it("scores a language model's greedy summary instead of re-running it (a batch may move a float)", async () => {
    // Re-run, this model's summary comes out otherwise, as a near-tie decided by float noise would; its
    // scorer agrees with the claim within that noise.
    const lm: Model = {
      ...scoringModel(3, 2),
      accepts: ['generate', 'summarize'],
      run: async () => ({
        text: 'general grievous',
        promptTokens: 3,
        completionTokens: 2,
        finishReason: 'stop',
      }),
    };
    const v = await runAudit(audit({ summarize: true }), withModel(lm));
    expect(v).toMatchObject({ outcome: 'pass' });
  });

  it("fails a receipt whose prompt count differs from the pinned tokenizer's, which is deterministic", async () => {
    const v = await runAudit(audit(), withModel(scoringModel(4, 2)));
    expect(v).toMatchObject({
      outcome: 'fail',
      reason: 'prompt tokens: the receipt says 3, the pinned tokenizer counts 4',
    });
  });
});
