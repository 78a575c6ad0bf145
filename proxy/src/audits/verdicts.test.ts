// Verdicts the proxy must refuse, each with its reason, with nothing in the ledger moving: unknown audits,
// verdicts from a rig the audit wasn't given to, verdicts naming another job, request or result, forged
// signatures, replays. And an auditor is never a rig of the audited rig's owner. (Who else may audit:
// collusion.test.ts.)
import { requestHash, type Verdict } from '@cocoon/shared';
import { describe, expect, it } from 'vitest';
import { ledgerTotals } from '../ledger/ledger';
import { auditState, until } from '../testing/audit-scenes';
import { pastProbation, userClient } from '../testing/harness';
import { useTestBed } from '../testing/test-bed';
import type { TestWorker } from '../testing/test-worker';

const bed = useTestBed({ AUDIT_PROBATION_JOBS: '1000' });
const price = 1_000_000n;

/** What the ledger holds, account by account: nothing may move on a refused verdict. */
async function balances(): Promise<Record<string, string>> {
  const r = await bed.db.query<{ id: string; balance: string }>(
    'SELECT id, balance::text AS balance FROM accounts ORDER BY id',
  );
  return Object.fromEntries(r.rows.map((x) => [x.id, x.balance]));
}

describe('verdicts', () => {
  it('refuses forged, misdirected and replayed verdicts with a reason; only the real one counts', async () => {
    await bed.start();
    const executor = await bed.rig(1001, price);
    const auditor = await bed.rig(1002, price * 2n);
    const stranger = await bed.rig(1003, price * 2n);
    await pastProbation(bed.db, [auditor.id, stranger.id]);
    const r = await userClient(bed.proxy, 2001).runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'check me please', maxTokens: 10 },
    });
    expect(r.rigId).toBe(executor.id);
    // The audit went to one of the two other candidates (drawn at random): call it the auditor.
    const given = await until('the audit', () =>
      [auditor, stranger].find((x) => x.worker.auditMessages.length > 0),
    );
    const other = given === auditor ? stranger : auditor;
    const audit = given.worker.auditMessages[0];
    expect(audit.jobId).toBe(r.jobId);
    expect(await auditState(bed.db, r.jobId)).toBe('pending');
    const ledgerBefore = await balances();

    const honest: Verdict = {
      auditId: audit.auditId,
      jobId: audit.jobId,
      requestHash: requestHash(audit.envelope),
      commitment: audit.receipt.commitment,
      agreementPpm: 1_000_000,
      outcome: 'pass',
    };
    const sendVerdict = (w: TestWorker, v: Verdict, signer: TestWorker = w) =>
      w.send({ type: 'verdict', ...v, reason: '', signature: signer.signVerdict(v) });
    const expectRefused = async (w: TestWorker, v: Verdict, reason: RegExp, signer: TestWorker = w) => {
      const seen = w.errors.length;
      sendVerdict(w, v, signer);
      expect(await until('a refusal', () => w.errors[seen])).toMatch(reason);
    };

    await expectRefused(given.worker, { ...honest, auditId: crypto.randomUUID() }, /no such audit/);
    await expectRefused(given.worker, { ...honest, jobId: crypto.randomUUID() }, /names another job/);
    await expectRefused(given.worker, { ...honest, requestHash: 'a'.repeat(64) }, /another request/);
    await expectRefused(given.worker, { ...honest, commitment: 'b'.repeat(64) }, /another result/);
    await expectRefused(given.worker, honest, /bad verdict signature/, other.worker);
    await expectRefused(other.worker, honest, /not given to this rig/);
    expect(await auditState(bed.db, r.jobId)).toBe('pending');
    expect(await balances()).toEqual(ledgerBefore);

    // The real verdict counts; the same verdict again is a replay.
    sendVerdict(given.worker, honest);
    expect(
      await until('the pass', async () =>
        (await auditState(bed.db, r.jobId)) === 'passed' ? true : undefined,
      ),
    ).toBe(true);
    await expectRefused(given.worker, honest, /already has a verdict/);
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });

  it("never asks a rig of the audited rig's owner: with no one else, the job is unauditable", async () => {
    await bed.start();
    const owner = userClient(bed.proxy, 1001);
    const executor = await bed.rig(1001, price);
    // A second rig of the same owner, a candidate of the job but not an auditor of it.
    const { rig: view, token } = await owner.registerRig('same-owner');
    const { startTestWorker } = await import('../testing/test-worker');
    const sibling = bed.track(startTestWorker({ url: bed.proxy.url, token }));
    await sibling.rigId;
    await owner.setAsk(view.id, 'test-echo', price * 2n);
    const r = await userClient(bed.proxy, 2001).runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'one owner only', maxTokens: 10 },
    });
    expect(r.rigId).toBe(executor.id);
    expect(await until('a decision', async () => (await auditState(bed.db, r.jobId)) ?? undefined)).toBe(
      'unauditable',
    );
    expect(sibling.audits).toEqual([]);
  });

  it('leaves a job unaudited, not pending, when its only auditor could not check it', async () => {
    await bed.start();
    await bed.rig(1001, price);
    const auditor = await bed.rig(1002, price * 2n);
    await pastProbation(bed.db, [auditor.id]);
    const r = await userClient(bed.proxy, 2001).runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'nobody else can check me', maxTokens: 10 },
    });
    const audit = await until('the audit', () => auditor.worker.auditMessages[0]);
    const v: Verdict = {
      auditId: audit.auditId,
      jobId: audit.jobId,
      requestHash: requestHash(audit.envelope),
      commitment: audit.receipt.commitment,
      agreementPpm: 0,
      outcome: 'unable',
    };
    auditor.worker.send({ type: 'verdict', ...v, reason: 'busy', signature: auditor.worker.signVerdict(v) });
    expect(
      await until('a decision', async () => {
        const s = await auditState(bed.db, r.jobId);
        return s === 'pending' ? undefined : s;
      }),
    ).toBe('unauditable');
  });

  it("one auditor's token recount moves no money: the proxy can't redo it, so the job is disputed", async () => {
    // "receipt 36 tokens, tokenizer 4" is the auditor's word: the proxy holds neither the prompt nor a
    // tokenizer, and a hostile auditor could say the same of an honest rig (see the header of service.ts).
    await bed.start();
    const executor = await bed.rig(1001, price);
    const auditor = await bed.rig(1002, price * 2n);
    await pastProbation(bed.db, [auditor.id]);
    const r = await userClient(bed.proxy, 2001).runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'count me', maxTokens: 10 },
    });
    expect(r.rigId).toBe(executor.id);
    const audit = await until('the audit', () => auditor.worker.auditMessages[0]);
    const ledgerBefore = await balances();
    const v: Verdict = {
      auditId: audit.auditId,
      jobId: audit.jobId,
      requestHash: requestHash(audit.envelope),
      commitment: audit.receipt.commitment,
      agreementPpm: 1_000_000,
      outcome: 'fail',
    };
    const reason = 'prompt tokens: the receipt says 36, the pinned tokenizer counts 4';
    auditor.worker.send({ type: 'verdict', ...v, reason, signature: auditor.worker.signVerdict(v) });
    expect(
      await until('a decision', async () => {
        const s = await auditState(bed.db, r.jobId);
        return s === 'pending' ? undefined : s;
      }),
    ).toBe('disputed');
    // Every account holds what it held (one opened since holds nothing).
    for (const [id, balance] of Object.entries(await balances()))
      expect(balance, id).toBe(ledgerBefore[id] ?? '0');
    const rig = await bed.db.query<{ quarantined_at: Date | null }>(
      'SELECT quarantined_at FROM rigs WHERE id = $1',
      [executor.id],
    );
    expect(rig.rows[0].quarantined_at).toBeNull();
  });
});
