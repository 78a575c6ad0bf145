// Property: whatever sequence of credits, holds, settlements, failures, refunds, audit pay and the operator
// spending fees happens (retries included), the ledger sums to zero, no user or hold goes below zero,
// system:fees never goes below zero, a job's auditors together are paid at most its fee (the part its trial
// credit paid in trial credit), and balances match a simple model.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { payAuditor, splitAsPaid } from '../audits/consequences';
import type { Db } from '../db';
import { InsufficientFunds } from '../errors';
import { openTestDb, resetDb } from '../testing/harness';
import { balanceOf, holdAccount, ledgerTotals, postTx, SYSTEM, trialAccount, userAccount } from './ledger';

let db: Db;
beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => db?.close());

const users = ['1', '2', '3'];
const OWNER = '9';
const AUDITORS = ['7', '8'];
const op = fc.oneof(
  fc.record({
    t: fc.constant('credit' as const),
    user: fc.constantFrom(...users),
    amount: fc.bigInt(1n, 5_000n),
  }),
  fc.record({
    t: fc.constant('quote' as const),
    user: fc.constantFrom(...users),
    amount: fc.bigInt(0n, 4_000n),
  }),
  fc.record({
    t: fc.constant('settle' as const),
    job: fc.nat(20),
    rigPermille: fc.nat(1000),
    feePermille: fc.nat(200),
    retry: fc.boolean(),
  }),
  fc.record({ t: fc.constant('fail' as const), job: fc.nat(20), retry: fc.boolean() }),
  fc.record({
    t: fc.constant('audit' as const),
    job: fc.nat(20),
    auditor: fc.constantFrom(...AUDITORS),
    asked: fc.bigInt(0n, 3_000n),
    trialPermille: fc.nat(1000),
    retry: fc.boolean(),
  }),
  fc.record({ t: fc.constant('spendFees' as const), permille: fc.nat(1000) }),
);

type Job = {
  id: string;
  user: string;
  hold: bigint;
  open: boolean;
  settled?: { rig: bigint; fee: bigint };
  /** Its audits so far, the trial credit its hold took (fixed at the first audit), what they were paid. */
  audits: string[];
  trialHeld?: bigint;
  auditPaid: bigint;
};

/** An auditor of a settled job is paid (twice with `retry`: once counts). */
async function audit(
  o: { auditor: string; asked: bigint; trialPermille: number; retry: boolean },
  job: Job | undefined,
  add: (account: string, delta: bigint) => void,
): Promise<void> {
  if (!job?.settled) return;
  const costNano = job.settled.rig + job.settled.fee;
  job.trialHeld ??= (costNano * BigInt(o.trialPermille)) / 1000n;
  const money = { id: job.id, costNano, rigNano: job.settled.rig, trialHeldNano: job.trialHeld, starsHeldNano: 0n };
  const auditId = `${job.id}:${o.auditor}`;
  if (!job.audits.includes(auditId)) job.audits.push(auditId);
  for (let n = 0; n < (o.retry ? 2 : 1); n++) {
    const paid = await db.tx((q) =>
      payAuditor(q, money, { auditId, ownerId: o.auditor, asked: o.asked }, job.audits),
    );
    const { cash, trial } = splitAsPaid(paid, money);
    add(userAccount(o.auditor), cash);
    add(trialAccount(o.auditor), trial);
    job.auditPaid += paid;
  }
  // Together, a job's auditors are paid at most its fee; withdrawable at most the share cash paid.
  expect(job.auditPaid).toBeLessThanOrEqual(job.settled.fee);
  const cashCost = costNano - job.trialHeld;
  if (costNano > 0n)
    expect(splitAsPaid(job.auditPaid, money).cash * costNano).toBeLessThanOrEqual(job.auditPaid * cashCost);
}

it('the ledger always sums to zero and never goes negative', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
      await resetDb(db);
      const model = new Map<string, bigint>();
      const add = (a: string, d: bigint) => model.set(a, (model.get(a) ?? 0n) + d);
      const jobs: Job[] = [];
      for (const [i, o] of ops.entries()) {
        if (o.t === 'credit') {
          await postTx(db, {
            kind: 'deposit',
            uniqueKey: `deposit:${i}`,
            transfers: [{ from: SYSTEM.deposits, to: userAccount(o.user), amount: o.amount }],
          });
          add(userAccount(o.user), o.amount);
        } else if (o.t === 'quote') {
          const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
          const have = model.get(userAccount(o.user)) ?? 0n;
          const attempt = db.tx((q) =>
            postTx(q, {
              kind: 'hold',
              uniqueKey: `hold:${id}`,
              transfers: [{ from: userAccount(o.user), to: holdAccount(id), amount: o.amount }],
            }),
          );
          if (o.amount > have) {
            await expect(attempt).rejects.toBeInstanceOf(InsufficientFunds);
          } else {
            await attempt;
            add(userAccount(o.user), -o.amount);
            jobs.push({ id, user: o.user, hold: o.amount, open: true, audits: [], auditPaid: 0n });
          }
        } else if (o.t === 'audit') {
          await audit(o, jobs[o.job % Math.max(jobs.length, 1)], add);
        } else if (o.t === 'spendFees') {
          // The operator takes a share of the fees out (a fee withdrawal): audit pay must live with less.
          const amount = ((await balanceOf(db, SYSTEM.fees)) * BigInt(o.permille)) / 1000n;
          await postTx(db, {
            kind: 'fees-out',
            uniqueKey: `fees-out:${i}`,
            transfers: [{ from: SYSTEM.fees, to: SYSTEM.networkFees, amount }],
          });
        } else {
          const job = jobs[o.job % Math.max(jobs.length, 1)];
          if (!job) continue;
          const times = o.retry ? 2 : 1;
          for (let n = 0; n < times; n++) {
            if (o.t === 'settle') {
              const rig = (job.hold * BigInt(o.rigPermille)) / 1000n;
              const fee = ((job.hold - rig) * BigInt(o.feePermille)) / 1000n;
              const r = await postTx(db, {
                kind: 'settle',
                uniqueKey: `release:${job.id}`,
                transfers: [
                  { from: holdAccount(job.id), to: userAccount(OWNER), amount: rig },
                  { from: holdAccount(job.id), to: SYSTEM.fees, amount: fee },
                  { from: holdAccount(job.id), to: userAccount(job.user), amount: job.hold - rig - fee },
                ],
              });
              expect(r.duplicate).toBe(!job.open);
              if (job.open) {
                job.settled = { rig, fee };
                add(userAccount(OWNER), rig);
                add(userAccount(job.user), job.hold - rig - fee);
              }
            } else {
              const r = await postTx(db, {
                kind: 'release',
                uniqueKey: `release:${job.id}`,
                transfers: [{ from: holdAccount(job.id), to: userAccount(job.user), amount: job.hold }],
              });
              expect(r.duplicate).toBe(!job.open);
              if (job.open) add(userAccount(job.user), job.hold);
            }
            job.open = false;
          }
        }
        expect(await ledgerTotals(db)).toEqual({ entries: 0n, balances: 0n });
        expect(await balanceOf(db, SYSTEM.fees)).toBeGreaterThanOrEqual(0n);
      }
      const negatives = await db.query(
        "SELECT id FROM accounts WHERE balance < 0 AND (id LIKE 'user:%' OR id LIKE 'hold:%')",
      );
      expect(negatives.rows).toEqual([]);
      for (const [account, expected] of model) expect(await balanceOf(db, account)).toBe(expected);
      for (const j of jobs) expect(await balanceOf(db, holdAccount(j.id))).toBe(j.open ? j.hold : 0n);
    }),
    { numRuns: 40 },
  );
});
