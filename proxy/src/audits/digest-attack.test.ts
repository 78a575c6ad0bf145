// Attack review (folders with dtypes, per-dtype digests): one model name served from other files, e.g. an
// export's q4 variant on one rig and its fp32 variant on another (models/digest.ts gives each its digest).
// With a catalogue only the pinned digest is served; in local mode (no catalogue) both were, and an fp32 rig
// audited a q4 rig's job: sampled draws from other logits, an honest rig failed. An auditor must run the
// files the audited rig ran.
import { describe, expect, it } from 'vitest';
import { auditState, fund, until } from '../testing/audit-scenes';
import { userClient } from '../testing/harness';
import { useTestBed } from '../testing/test-bed';

const OPERATOR = 1009;
const bed = useTestBed({
  TRIAL_CREDIT_NANO: '0',
  AUDIT_RATE: '1',
  AUDIT_PROBATION_JOBS: '0',
  OPERATOR_OWNER_IDS: String(OPERATOR),
});
const Q4 = 'a'.repeat(64);
const FP32 = 'b'.repeat(64);
const echo = (digest: string) => ({
  models: [{ id: 'test-echo', kinds: ['generate' as const], digest }],
});

describe('a model name served from files of two digests (local mode)', () => {
  it('a rig of the other digest never audits the job', async () => {
    await bed.start();
    await fund(bed.db, 2001, 10n ** 10n);
    const q4 = await bed.rig(1001, 1_000_000n, 'ok', echo(Q4));
    const fp32 = await bed.rig(OPERATOR, 1_000_001n, 'ok', { ...echo(FP32), answerAudits: () => 'fail' });
    const res = await userClient(bed.proxy, 2001).runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'one two three', maxTokens: 5 },
    });
    expect(res.rigId).toBe(q4.id);
    const state = await until('a decision', async () => {
      const s = await auditState(bed.db, res.jobId);
      return s === null || s === 'pending' ? undefined : s;
    });
    expect(fp32.worker.audits).toEqual([]);
    expect(state).toBe('unauditable');
  }, 60_000);
});
