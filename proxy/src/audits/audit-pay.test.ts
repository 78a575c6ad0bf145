// Audit pay follows the money that paid the audited job and never exceeds what the job brought in (issue 26):
// an auditor of a job paid from a new user's trial credit is paid in trial credit (spendable on jobs, never
// withdrawable), at most the job's fee, and the platform's fee account never goes below zero.
import { requestHash, type Verdict } from '@cocoon/shared';
import { describe, expect, it } from 'vitest';
import { balanceOf, ledgerTotals, postTx, SYSTEM, trialAccount, userAccount } from '../ledger/ledger';
import { until } from '../testing/audit-scenes';
import { pastProbation, userClient } from '../testing/harness';
import { useTestBed } from '../testing/test-bed';
import { refundUnvouched } from './consequences';

const bed = useTestBed({ AUDIT_PROBATION_JOBS: '1000', AUDIT_PENALTY_NANO: '0' });
const price = 1_000_000n;

async function jobMoney(jobId: string) {
  const r = await bed.db.query<{ cost: string; rig: string; audit_state: string | null }>(
    'SELECT cost_nano::text AS cost, rig_nano::text AS rig, audit_state FROM jobs WHERE id = $1',
    [jobId],
  );
  const row = r.rows[0];
  return { fee: BigInt(row.cost) - BigInt(row.rig), state: row.audit_state };
}

describe('audit pay', () => {
  it("a trial-paid job's auditor is paid in trial credit, at most the job's fee; system:fees stays >= 0", async () => {
    await bed.start({ TRIAL_CREDIT_NANO: '500000000' });
    await bed.rig(1001, price);
    // Auditors ask more than the executor: the old rule paid them the job's whole price, ten times its fee.
    const auditors = [await bed.rig(1002, price * 2n), await bed.rig(1003, price * 2n)];
    await pastProbation(
      bed.db,
      auditors.map((a) => a.id),
    );
    const r = await userClient(bed.proxy, 2001).runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'paid with trial credit only, please check', maxTokens: 40 },
    });
    const given = await until('the audit', () => auditors.find((x) => x.worker.auditMessages.length > 0));
    const audit = given.worker.auditMessages[0];
    const v: Verdict = {
      auditId: audit.auditId,
      jobId: audit.jobId,
      requestHash: requestHash(audit.envelope),
      commitment: audit.receipt.commitment,
      agreementPpm: 1_000_000,
      outcome: 'pass',
    };
    const auditorOwner = given === auditors[0] ? '1002' : '1003';
    // The auditor's owner has trial credit of their own (every new account does): count what the audit adds.
    const trialBefore = await balanceOf(bed.db, trialAccount(auditorOwner));
    given.worker.send({ type: 'verdict', ...v, reason: '', signature: given.worker.signVerdict(v) });
    await until('the pass', async () => ((await jobMoney(r.jobId)).state === 'passed' ? true : undefined));

    const { fee } = await jobMoney(r.jobId);
    // Nothing withdrawable: the job was paid from trial credit, so is its auditor.
    expect(await balanceOf(bed.db, userAccount(auditorOwner))).toBe(0n);
    const trialPay = (await balanceOf(bed.db, trialAccount(auditorOwner))) - trialBefore;
    expect(trialPay).toBeGreaterThan(0n);
    expect(trialPay).toBeLessThanOrEqual(fee);
    expect(await balanceOf(bed.db, SYSTEM.fees)).toBeGreaterThanOrEqual(0n);
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });

  it("a refund beyond the rig owner's money leaves system:fees at zero, not below, and the user whole", async () => {
    await bed.start({ TRIAL_CREDIT_NANO: '0' });
    const rig = await bed.rig(1001, price);
    const user = userClient(bed.proxy, 2001);
    await user.me();
    await postTx(bed.db, {
      kind: 'deposit',
      uniqueKey: 'test-deposit:2001',
      transfers: [{ from: SYSTEM.deposits, to: userAccount('2001'), amount: 100_000_000n }],
    });
    const r = await user.runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'a job to be refunded later on', maxTokens: 40 },
    });
    // The owner took their earnings out before the rig was proven wrong.
    const earned = await balanceOf(bed.db, userAccount('1001'));
    await postTx(bed.db, {
      kind: 'withdrawal',
      uniqueKey: 'test-withdrawal:1001',
      transfers: [{ from: userAccount('1001'), to: SYSTEM.withdrawals, amount: earned }],
    });
    await bed.db.tx((q) => refundUnvouched(q, rig.id, '1001', 0n, 'test'));
    // Paid back in full; the fees gave back this job's fee and no more, the rest is the operator's loss.
    expect(await balanceOf(bed.db, userAccount('2001'))).toBe(100_000_000n);
    expect(await balanceOf(bed.db, SYSTEM.fees)).toBe(0n);
    expect(await balanceOf(bed.db, SYSTEM.auditShortfall)).toBe(-r.costNano + (await jobMoney(r.jobId)).fee);
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });

  it("a cash job's refund never takes the rig owner's trial credit: trial credit can't come out as cash", async () => {
    // The attack: trial-paid jobs give the rig's owner trial credit; its own cash jobs on the rig are then
    // refunded on a conviction, the rig's share taken back from that trial credit and paid out as cash.
    await bed.start({ TRIAL_CREDIT_NANO: '0' });
    const rig = await bed.rig(1001, price);
    const user = userClient(bed.proxy, 2001);
    await user.me();
    await postTx(bed.db, {
      kind: 'deposit',
      uniqueKey: 'test-deposit:2001',
      transfers: [{ from: SYSTEM.deposits, to: userAccount('2001'), amount: 100_000_000n }],
    });
    await user.runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'a cash job, refunded later on', maxTokens: 40 },
    });
    // The owner withdrew the cash it earned and holds trial credit (earned from trial-paid jobs).
    const earned = await balanceOf(bed.db, userAccount('1001'));
    await postTx(bed.db, {
      kind: 'withdrawal',
      uniqueKey: 'test-withdrawal:1001',
      transfers: [{ from: userAccount('1001'), to: SYSTEM.withdrawals, amount: earned }],
    });
    await postTx(bed.db, {
      kind: 'trial',
      uniqueKey: 'test-trial:1001',
      transfers: [{ from: SYSTEM.trial, to: trialAccount('1001'), amount: 50_000_000n }],
    });
    await bed.db.tx((q) => refundUnvouched(q, rig.id, '1001', 0n, 'test'));
    expect(await balanceOf(bed.db, userAccount('2001'))).toBe(100_000_000n);
    expect(await balanceOf(bed.db, trialAccount('1001'))).toBe(50_000_000n);
    expect(await balanceOf(bed.db, SYSTEM.fees)).toBe(0n);
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });
});
