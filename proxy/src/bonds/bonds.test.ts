// Bonds: past probation a rig is offered only while its unaudited work is below its bond; a short bond is
// filled from its earnings; the bond comes back after a cooling-off with no audit open; a quarantined rig
// comes back only re-bonded, into a new probation; the operator's own rigs need none of it.
import { describe, expect, it } from 'vitest';
import { requestWithdrawal } from '../custodial/store';
import { balanceOf, ledgerTotals, postTx, SYSTEM, userAccount } from '../ledger/ledger';
import { userClient } from '../testing/harness';
import { useTestBed } from '../testing/test-bed';
import { bondAccount } from './bonds';

const bed = useTestBed({
  TRIAL_CREDIT_NANO: '0',
  AUDIT_PROBATION_JOBS: '1',
  BOND_NANO: '1000000',
  BOND_COOLING_OFF_MS: '300',
});
const price = 1_000_000n;
const body = { kind: 'generate', prompt: 'one two three four', maxTokens: 8 } as const;

/** Money of their own for a user (as a credited deposit would be). */
async function fund(userId: string, amount: bigint) {
  await postTx(bed.db, {
    kind: 'deposit',
    uniqueKey: `test-fund:${userId}:${amount}`,
    transfers: [{ from: SYSTEM.deposits, to: userAccount(userId), amount }],
  });
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'ok',
    (err: { code?: string }) => err.code ?? 'error',
  );
}

describe('bonds', () => {
  it('caps unaudited work by the bond past probation, and fills a short bond from earnings', async () => {
    await bed.start();
    const rig = await bed.rig(1001, price);
    const user = userClient(bed.proxy, 2001);
    await user.me();
    await fund('2001', 1_000_000_000n);
    await rig.owner.me();
    await fund('1001', 100_000_000n);

    // Probation (its first job): no bond needed.
    expect((await rig.owner.rigs()).rigs[0]).toMatchObject({ probationJobsLeft: 1, bondNano: '0' });
    const first = await user.runJob({ model: 'test-echo', body });
    const view = (await rig.owner.rigs()).rigs[0];
    expect(view).toMatchObject({ probationJobsLeft: 0, exposureNano: first.costNano.toString() });
    // Past probation with no bond: its unaudited work is over the bond, so it is not offered.
    expect(await codeOf(user.runJob({ model: 'test-echo', body }))).toBe('no_capacity');
    const standing = async () => (await user.market()).models[0].asks[0].standing;
    expect(await standing()).toMatchObject({ capped: 1, bonded: 0 });

    await rig.owner.addBond(rig.id, first.costNano + 1n);
    expect(await standing()).toMatchObject({ capped: 0, bonded: 1 });
    const before = await balanceOf(bed.db, userAccount('1001'));
    const second = await user.runJob({ model: 'test-echo', body });
    // The bond was short of BOND_NANO: the whole of the rig's share of the second job went into it.
    const after = (await rig.owner.rigs()).rigs[0];
    expect(BigInt(after.bondNano)).toBeGreaterThan(first.costNano + 1n);
    expect(await balanceOf(bed.db, userAccount('1001'))).toBe(before);
    expect(BigInt(after.exposureNano)).toBe(first.costNano + second.costNano);
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });

  it('gives the bond back after the cooling-off, not while an audit of the rig is open', async () => {
    await bed.start({ AUDIT_PROBATION_JOBS: '5', OPERATOR_OWNER_IDS: '1002' });
    const rig = await bed.rig(1001, price);
    // The operator's rig (a trusted auditor), a candidate that never answers its audits: the audit stays open.
    const silentAuditor = await bed.rig(1002, price * 2n);
    await rig.owner.me();
    await fund('1001', 100_000_000n);
    await rig.owner.addBond(rig.id, 50_000_000n);
    expect(await balanceOf(bed.db, bondAccount(rig.id))).toBe(50_000_000n);

    const first = await rig.owner.withdrawBond(rig.id);
    expect(first.bondWithdrawableAt).not.toBeNull();
    expect(await codeOf(rig.owner.withdrawBond(rig.id))).toBe('bond_cooling_off');

    const user = userClient(bed.proxy, 2001);
    await user.me();
    await fund('2001', 1_000_000_000n);
    const r = await user.runJob({ model: 'test-echo', body });
    expect(r.rigId).toBe(rig.id);
    for (let i = 0; i < 50 && silentAuditor.worker.audits.length === 0; i++)
      await new Promise((res) => setTimeout(res, 20));
    expect(silentAuditor.worker.audits).toEqual([r.jobId]);
    await new Promise((res) => setTimeout(res, 350));
    expect(await codeOf(rig.owner.withdrawBond(rig.id))).toBe('audit_open');
    expect(await balanceOf(bed.db, bondAccount(rig.id))).toBe(50_000_000n);

    // Meanwhile the rig's earnings from the job under audit can't be withdrawn.
    await bed.db.query('UPDATE users SET wallet_address = $2 WHERE id = $1', ['1001', 'EQ-test-wallet']);
    const cash = await balanceOf(bed.db, userAccount('1001'));
    const withdraw = (amountNano: bigint, key: string) =>
      requestWithdrawal(bed.db, {
        userId: '1001',
        amountNano,
        feeNano: 1n,
        minNano: 1n,
        idempotencyKey: key,
      });
    await expect(withdraw(cash - 1n, 'all')).rejects.toThrow(/wait for their audits/);
    const earned = BigInt(
      (await bed.db.query<{ n: string }>('SELECT rig_nano::text AS n FROM jobs WHERE id = $1', [r.jobId]))
        .rows[0].n,
    );
    expect((await withdraw(cash - earned - 1n, 'the rest')).created).toBe(true);

    // The audit lapses unanswered; then the bond goes back to its owner in full.
    await bed.db.query("UPDATE audits SET state = 'expired' WHERE job_id = $1", [r.jobId]);
    const cashBefore = await balanceOf(bed.db, userAccount('1001'));
    const back = await rig.owner.withdrawBond(rig.id);
    expect(back).toMatchObject({ bondNano: '0', bondWithdrawableAt: null });
    expect(await balanceOf(bed.db, userAccount('1001'))).toBe(cashBefore + 50_000_000n);
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });

  it('lets a quarantined rig back only re-bonded, into a new probation', async () => {
    await bed.start({ AUDIT_PROBATION_JOBS: '3' });
    const rig = await bed.rig(1001, price);
    await rig.owner.me();
    await fund('1001', 100_000_000n);
    await bed.db.query(
      "UPDATE rigs SET quarantined_at = now(), quarantine_reason = 'an audit found it wrong', jobs_done = 40 WHERE id = $1",
      [rig.id],
    );
    expect(await codeOf(rig.owner.releaseRig(rig.id))).toBe('bond_short');
    await rig.owner.addBond(rig.id, 1_000_000n);
    const back = await rig.owner.releaseRig(rig.id);
    expect(back).toMatchObject({ quarantine: null, probationJobsLeft: 3 });
    const user = userClient(bed.proxy, 2001);
    await user.me();
    await fund('2001', 1_000_000_000n);
    const r = await user.runJob({ model: 'test-echo', body });
    expect(r.rigId).toBe(rig.id);
  });

  it("needs no probation or bond for the operator's own rigs", async () => {
    await bed.start({ OPERATOR_OWNER_IDS: '1001', AUDIT_PROBATION_JOBS: '0' });
    const rig = await bed.rig(1001, price);
    const user = userClient(bed.proxy, 2001);
    await user.me();
    await fund('2001', 1_000_000_000n);
    expect((await rig.owner.rigs()).rigs[0]).toMatchObject({ operator: true, bondRequiredNano: '0' });
    expect((await user.market()).models[0].asks[0].standing).toMatchObject({ operator: 1 });
    for (let i = 0; i < 3; i++) expect((await user.runJob({ model: 'test-echo', body })).rigId).toBe(rig.id);
    // Its record: job latency from its jobs, uptime from its connection (online since it was registered).
    const view = (await rig.owner.rigs()).rigs[0];
    expect(view.latencyMs.p50).toBeGreaterThanOrEqual(0);
    expect(view.latencyMs.p95).toBeGreaterThanOrEqual(view.latencyMs.p50!);
    expect(view.uptime).toBeGreaterThan(0.5);
    expect(view.uptime).toBeLessThanOrEqual(1);
    await rig.worker.close();
    for (let i = 0; i < 50 && (await rig.owner.rigs()).rigs[0].online; i++)
      await new Promise((r) => setTimeout(r, 20));
    const online = await bed.db.query<{ online_ms: string }>(
      'SELECT online_ms::text FROM rigs WHERE id = $1',
      [rig.id],
    );
    expect(Number(online.rows[0].online_ms)).toBeGreaterThan(0);
  });
});
