// Audits a Sybil can't turn (issue #26, item 2): colluding auditors of fresh accounts, bonded colluders
// against the operator's rig, a rig that failed a job auditing whoever ran it next, one auditor's word
// against another's. Each scene is the real proxy with protocol-real test workers; verdicts are the workers'
// own (lying-auditor) or sent by the test, signed with the rig's key.
import { requestHash, type Verdict } from '@cocoon/shared';
import { describe, expect, it } from 'vitest';
import { bondAccount } from '../bonds/bonds';
import { balanceOf, ledgerTotals } from '../ledger/ledger';
import { decided, fund, trustedRig, until } from '../testing/audit-scenes';
import { userClient } from '../testing/harness';
import { useTestBed } from '../testing/test-bed';
import type { TestWorker } from '../testing/test-worker';

const BOND = 1_000_000_000n;
const OPERATOR = 1009;
const bed = useTestBed({
  TRIAL_CREDIT_NANO: '0',
  AUDIT_RATE: '1',
  AUDIT_PROBATION_JOBS: '3',
  BOND_NANO: String(BOND),
  RIG_COOLDOWN_MS: '0',
  OPERATOR_OWNER_IDS: String(OPERATOR),
});
const price = 1_000_000n;

/** A rig past probation with a bond: a trusted auditor (audits/trust.ts). */
const trusted = (
  ownerId: number,
  ask: bigint,
  behaviour?: Parameters<typeof bed.rig>[2],
  opts?: Parameters<typeof bed.rig>[3],
  bond = BOND,
) => trustedRig(bed, bond, ownerId, ask, behaviour, opts);
type Rig = Awaited<ReturnType<typeof bed.rig>>;

/** The proxy, and a user with money of their own. */
async function start() {
  await bed.start();
  await fund(bed.db, 2001, 10n * BOND);
}

async function rigRow(id: string) {
  const r = await bed.db.query<{ quarantined_at: Date | null; audit_banned_at: Date | null }>(
    'SELECT quarantined_at, audit_banned_at FROM rigs WHERE id = $1',
    [id],
  );
  return r.rows[0];
}

const job = (i: number) =>
  userClient(bed.proxy, 2001).runJob({
    model: 'test-echo',
    body: { kind: 'generate', prompt: `honest words number ${i}`, maxTokens: 10 },
  });

function sendVerdict(w: TestWorker, outcome: 'pass' | 'fail', n = 0) {
  const audit = w.auditMessages[n];
  const v: Verdict = {
    auditId: audit.auditId,
    jobId: audit.jobId,
    requestHash: requestHash(audit.envelope),
    commitment: audit.receipt.commitment,
    agreementPpm: outcome === 'pass' ? 1_000_000 : 0,
    outcome,
  };
  w.send({ type: 'verdict', ...v, reason: outcome, signature: w.signVerdict(v) });
}

describe('colluding auditors', () => {
  it('two fresh accounts priced just above the cheapest never audit, so never convict an honest rig', async () => {
    await start();
    const honest = await trusted(1001, price);
    const colluders = [
      await bed.rig(1002, price + 1n, 'lying-auditor'),
      await bed.rig(1003, price + 2n, 'lying-auditor'),
    ];
    for (let i = 0; i < 4; i++) {
      const r = await job(i);
      expect(r.rigId).toBe(honest.id);
      expect(await decided(bed.db, r.jobId)).toBe('unauditable');
    }
    expect(colluders.flatMap((c) => c.worker.audits)).toEqual([]);
    expect(await rigRow(honest.id)).toMatchObject({ quarantined_at: null });
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });

  it("bonded colluders of two owners can't convict either: the quote names the operator's rig, which decides", async () => {
    await start();
    const honest = await trusted(1001, price);
    const operator = await bed.rig(OPERATOR, price * 2n, 'ok', { answerAudits: () => 'pass' });
    const colluders = [
      await trusted(1002, price + 1n, 'lying-auditor'),
      await trusted(1003, price + 2n, 'lying-auditor'),
    ];
    for (let i = 0; i < 6; i++) {
      const r = await job(i);
      expect(r.rigId).toBe(honest.id);
      expect(await decided(bed.db, r.jobId)).toBe('passed');
    }
    expect(operator.worker.audits).toHaveLength(6);
    expect(await rigRow(honest.id)).toMatchObject({ quarantined_at: null });
    for (const c of colluders) expect(c.worker.audits).toEqual([]);
  });

  it('an auditor the operator outvotes loses its bond and never audits again; the honest rig keeps its pay', async () => {
    await start();
    const honest = await trusted(1001, price);
    const liar = await trusted(1002, price + 1n);
    const operator = await bed.rig(OPERATOR, price + 2n);
    // Out of the first round only (so the liar speaks first): the operator's rig is asked first otherwise.
    await bed.db.query('UPDATE rigs SET audit_banned_at = now() WHERE id = $1', [operator.id]);
    const r = await job(0);
    await until('the first audit', () => liar.worker.auditMessages[0]);
    await bed.db.query('UPDATE rigs SET audit_banned_at = NULL WHERE id = $1', [operator.id]);
    sendVerdict(liar.worker, 'fail');
    await until('the second audit', () => operator.worker.auditMessages[0]);
    sendVerdict(operator.worker, 'pass');
    expect(await decided(bed.db, r.jobId)).toBe('passed');
    expect(await balanceOf(bed.db, bondAccount(liar.id))).toBe(0n);
    expect((await rigRow(liar.id)).audit_banned_at).not.toBeNull();
    expect(await rigRow(honest.id)).toMatchObject({ quarantined_at: null });
    // Banned: the next job's audit goes elsewhere.
    const next = await job(1);
    await until('the next audit', () => operator.worker.auditMessages[1]);
    expect(liar.worker.auditMessages.map((a) => a.jobId)).not.toContain(next.jobId);
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });

  it('one pass against one fail, no operator: disputed; nobody quarantined, no money moves for it', async () => {
    await start();
    const honest = await trusted(1001, price);
    const a = await trusted(1002, price + 1n);
    const b = await trusted(1003, price + 2n);
    const r = await job(0);
    const first = await until('the first audit', () => [a, b].find((x) => x.worker.auditMessages.length > 0));
    const second = first === a ? b : a;
    sendVerdict(first.worker, 'fail');
    await until('the second audit', () => second.worker.auditMessages[0]);
    sendVerdict(second.worker, 'pass');
    expect(await decided(bed.db, r.jobId)).toBe('disputed');
    for (const x of [honest, a, b]) expect(await rigRow(x.id)).toMatchObject({ quarantined_at: null });
    expect(await balanceOf(bed.db, bondAccount(first.id))).toBe(BOND);
    const refunds = await bed.db.query("SELECT 1 FROM ledger_tx WHERE kind IN ('audit-refund', 'audit-pay')");
    expect(refunds.rows).toEqual([]);
  });

  it('a rig that failed the job never audits whoever ran it next', async () => {
    await start();
    const failer = await trusted(1001, price, 'fail');
    const honest = await trusted(1002, price + 1n);
    const r = await job(0);
    expect(r.rigId).toBe(honest.id);
    expect(await decided(bed.db, r.jobId)).toBe('unauditable');
    expect(failer.worker.audits).toEqual([]);
  });

  it("two rigs of one owner are never a job's two auditors", async () => {
    await start();
    await trusted(1001, price);
    const owner = userClient(bed.proxy, 1002);
    const a = await trusted(1002, price + 1n);
    const { startTestWorker } = await import('../testing/test-worker');
    const { rig: view, token } = await owner.registerRig('second');
    const sibling = bed.track(startTestWorker({ url: bed.proxy.url, token }));
    await sibling.rigId;
    await owner.setAsk(view.id, 'test-echo', price + 2n);
    await fund(bed.db, 1002, BOND);
    await owner.addBond(view.id, BOND);
    await bed.db.query('UPDATE rigs SET probation_from = jobs_done - 3, probation_passes = 3 WHERE id = $1', [
      view.id,
    ]);
    const r = await job(0);
    const pair: Array<Rig['worker']> = [a.worker, sibling];
    const first = await until('the first audit', () => pair.find((w) => w.auditMessages.length > 0));
    sendVerdict(first, 'fail');
    expect(await decided(bed.db, r.jobId)).toBe('disputed');
    expect(pair.filter((w) => w.auditMessages.length > 0)).toHaveLength(1);
  });

  it('a group of fresh rigs never audits itself: the anchor, a trusted rig of another owner, does', async () => {
    await start();
    const group = [await bed.rig(1002, price), await bed.rig(1003, price + 1n)];
    const anchor = await trusted(1001, price * 2n);
    for (let i = 0; i < 4; i++) {
      const r = await job(i);
      expect(group.map((g) => g.id)).toContain(r.rigId);
      await until('the audit', () => anchor.worker.auditMessages.find((a) => a.jobId === r.jobId));
      sendVerdict(
        anchor.worker,
        'pass',
        anchor.worker.auditMessages.findIndex((a) => a.jobId === r.jobId),
      );
      expect(await decided(bed.db, r.jobId)).toBe('passed');
    }
    for (const g of group) expect(g.worker.audits).toEqual([]);
  });

  it('rigs past probation by job count and bonded, but never vouched for by a stranger, never audit', async () => {
    await start();
    const honest = await trusted(1001, price);
    const ring = [
      await trusted(1002, price + 1n, 'lying-auditor'),
      await trusted(1003, price + 2n, 'lying-auditor'),
    ];
    // They got through probation with no one to audit them (or only one another): no passes that count.
    await bed.db.query('UPDATE rigs SET probation_passes = 0 WHERE id = ANY($1::uuid[])', [
      ring.map((c) => c.id),
    ]);
    const r = await job(0);
    expect(await decided(bed.db, r.jobId)).toBe('unauditable');
    expect(ring.flatMap((c) => c.worker.audits)).toEqual([]);
    expect(await rigRow(honest.id)).toMatchObject({ quarantined_at: null });
  });
});
