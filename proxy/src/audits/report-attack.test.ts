// Attack review (token ids, #27 item 2): a protocol-2 rig bills more completion tokens than the ids it
// sealed. The client catches it (the count must be the ids') and reports the job, but past probation only
// AUDIT_RATE of jobs were audited, and a report moved nothing: the over-billed job stood unless the draw
// happened to pick it. A reported job is now audited, whatever the draw.
import { describe, expect, it } from 'vitest';
import { auditState, fund, until } from '../testing/audit-scenes';
import { userClient } from '../testing/harness';
import { useTestBed } from '../testing/test-bed';
import { promptTokensOf } from '../testing/test-worker';

const OPERATOR = 1009;
const bed = useTestBed({
  TRIAL_CREDIT_NANO: '0',
  AUDIT_RATE: '0', // no job drawn for audit: only a report can order one
  AUDIT_PROBATION_JOBS: '0',
  OPERATOR_OWNER_IDS: String(OPERATOR),
});
const price = 1_000_000n;

describe('a client reporting an over-billed result', () => {
  it('gets the job audited though the draw picked none, and the cheater convicted', async () => {
    await bed.start();
    await fund(bed.db, 2001, 10n ** 10n);
    const cheater = await bed.rig(1001, price, 'ok', {
      protocol: 2,
      // Two ids sealed, ten completion tokens billed.
      output: async (body) => ({
        text: 'HI THERE',
        promptTokens: promptTokensOf(body),
        completionTokens: 10,
        tokenIds: [1, 2],
      }),
    });
    const op = await bed.rig(OPERATOR, price + 1n, 'ok', { answerAudits: () => 'fail' });
    const user = userClient(bed.proxy, 2001);
    const err = await user
      .runJob({ model: 'test-echo', body: { kind: 'generate', prompt: 'say hi there', maxTokens: 10 } })
      .catch((e) => e);
    expect(err).toMatchObject({ status: 502, code: 'token_count_mismatch' });
    const job = await bed.db.query<{ id: string; rig_id: string }>('SELECT id, rig_id FROM jobs');
    expect(job.rows[0].rig_id).toBe(cheater.id);
    const state = await until(
      'an audit of the reported job',
      async () => {
        const s = await auditState(bed.db, job.rows[0].id);
        return s === null || s === 'pending' ? undefined : s;
      },
      60,
    );
    expect(state).toBe('refunded');
    expect(op.worker.audits).toContain(job.rows[0].id);
  }, 60_000);
});
