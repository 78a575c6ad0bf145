// Property: whatever sequence of credits, Stars purchases, holds (Stars credit first), settlements, failures,
// refunds and reversals of Stars charges, releases of held rig earnings, audit pay and the operator spending
// fees happens (retries included), the ledger sums to zero, no user, Stars, held-earnings or hold account goes
// below zero, system:fees never goes below zero, a reversal's spent part is owed (a receivable) until a later
// purchase settles it, what is held of rig earnings matches its release rows, a job's auditors together are
// paid at most its fee (the part its trial credit paid in trial credit), and balances match a simple model.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { payAuditor, splitAsPaid } from '../audits/consequences';
import type { Db } from '../db';
import { InsufficientFunds } from '../errors';
import { holdStarsEarnings, releaseDueEarnings } from '../stars/earnings';
import { creditPurchase, debitPurchase } from '../stars/money';
import { insertPurchase, markPaid, purchaseById } from '../stars/repository';
import { openTestDb, resetDb } from '../testing/harness';
import {
  balanceOf,
  holdAccount,
  ledgerTotals,
  postTx,
  SYSTEM,
  starsAccount,
  starsHeldAccount,
  starsReceivableAccount,
  type Transfer,
  trialAccount,
  userAccount,
} from './ledger';
import { chargeSplit, holdTransfers, releaseTransfers, settleTransfers } from './trial-credit';

let db: Db;
beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => db?.close());

const users = ['1', '2', '3'];
const OWNER = '9';
const AUDITORS = ['7', '8'];
// Stars purchases, Stars-paid holds and reversals weigh more: a reversal after spending, settled by a later
// purchase, needs all three in order.
const op = fc.oneof(
  {
    arbitrary: fc.record({
      t: fc.constant('credit' as const),
      user: fc.constantFrom(...users),
      amount: fc.bigInt(1n, 5_000n),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      t: fc.constant('quote' as const),
      user: fc.constantFrom(...users),
      amount: fc.bigInt(0n, 4_000n),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      t: fc.constant('settle' as const),
      job: fc.nat(20),
      rigPermille: fc.nat(1000),
      feePermille: fc.nat(200),
      retry: fc.boolean(),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ t: fc.constant('fail' as const), job: fc.nat(20), retry: fc.boolean() }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      t: fc.constant('audit' as const),
      job: fc.nat(20),
      auditor: fc.constantFrom(...AUDITORS),
      asked: fc.bigInt(0n, 3_000n),
      trialPermille: fc.nat(1000),
      retry: fc.boolean(),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ t: fc.constant('spendFees' as const), permille: fc.nat(1000) }), weight: 1 },
  {
    arbitrary: fc.record({
      t: fc.constant('buy' as const),
      user: fc.constantFrom(...users),
      nano: fc.bigInt(1n, 5_000n),
      retry: fc.boolean(),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      t: fc.constant('giveBack' as const),
      purchase: fc.nat(20),
      by: fc.constantFrom('reversal' as const, 'operator' as const),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ t: fc.constant('release' as const) }), weight: 1 },
);

type Purchase = { id: string; user: string; nano: bigint; charge: string; ended: boolean };

type Job = {
  id: string;
  user: string;
  hold: bigint;
  open: boolean;
  settled?: { rig: bigint; fee: bigint };
  /** Its audits so far, the trial credit its hold took (fixed at the first audit), what they were paid. */
  audits: string[];
  trialHeld?: bigint;
  /** The Stars credit its hold took. */
  starsHeld: bigint;
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
  const money = {
    id: job.id,
    costNano,
    rigNano: job.settled.rig,
    trialHeldNano: job.trialHeld,
    starsHeldNano: job.starsHeld,
  };
  const auditId = `${job.id}:${o.auditor}`;
  if (!job.audits.includes(auditId)) job.audits.push(auditId);
  for (let n = 0; n < (o.retry ? 2 : 1); n++) {
    const paid = await db.tx((q) =>
      payAuditor(q, money, { auditId, ownerId: o.auditor, asked: o.asked }, job.audits, 0),
    );
    const { cash, stars, trial } = splitAsPaid(paid, money);
    add(userAccount(o.auditor), cash);
    add(starsHeldAccount(o.auditor), stars);
    add(trialAccount(o.auditor), trial);
    add(SYSTEM.fees, -paid);
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
      await db.query(
        "INSERT INTO users (id, deposit_memo) SELECT id, 'memo-' || id FROM unnest($1::text[]) AS id",
        [[...users, OWNER, ...AUDITORS]],
      );
      const model = new Map<string, bigint>();
      const add = (a: string, d: bigint) => model.set(a, (model.get(a) ?? 0n) + d);
      const apply = (ts: Transfer[]) => {
        for (const t of ts) {
          add(t.from, -t.amount);
          add(t.to, t.amount);
        }
      };
      const jobs: Job[] = [];
      const purchases: Purchase[] = [];
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
          const have = (model.get(userAccount(o.user)) ?? 0n) + (model.get(starsAccount(o.user)) ?? 0n);
          // Stars credit first, then the user's own money (no trial credit here).
          const planned = holdTransfers(id, o.user, o.amount, {
            trial: 0n,
            stars: model.get(starsAccount(o.user)) ?? 0n,
          });
          const attempt = db.tx((q) =>
            postTx(q, { kind: 'hold', uniqueKey: `hold:${id}`, transfers: planned.transfers }),
          );
          if (o.amount > have) {
            await expect(attempt).rejects.toBeInstanceOf(InsufficientFunds);
          } else {
            await attempt;
            apply(planned.transfers);
            jobs.push({
              id,
              user: o.user,
              hold: o.amount,
              open: true,
              audits: [],
              starsHeld: planned.fromStars,
              auditPaid: 0n,
            });
          }
        } else if (o.t === 'buy') {
          const id = `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`;
          const p: Purchase = { id, user: o.user, nano: o.nano, charge: `charge-${i}`, ended: false };
          for (let n = 0; n < (o.retry ? 2 : 1); n++) {
            await db.tx(async (q) => {
              if (n === 0) {
                await insertPurchase(q, {
                  id,
                  userId: o.user,
                  payload: `p-${i}`,
                  stars: 1,
                  rate: o.nano,
                  nano: o.nano,
                  ttlMs: 60_000,
                });
                await markPaid(q, id, p.charge);
              }
              await creditPurchase(q, (await purchaseById(q, id, true))!, p.charge);
            });
          }
          // Credited once; what a reversal left owed is settled first.
          const owed = -(model.get(starsReceivableAccount(o.user)) ?? 0n);
          const settled = owed < o.nano ? owed : o.nano;
          add(SYSTEM.starsSales, -o.nano);
          add(starsAccount(o.user), o.nano - settled);
          add(starsReceivableAccount(o.user), settled);
          purchases.push(p);
        } else if (o.t === 'giveBack') {
          const p = purchases[o.purchase % Math.max(purchases.length, 1)];
          if (!p || p.ended) continue;
          await db.tx(async (q) =>
            debitPurchase(
              q,
              (await purchaseById(q, p.id, true))!,
              o.by === 'reversal' ? 'stars-reversal' : 'stars-refund',
              o.by === 'reversal' ? 'receivable' : 'operator',
            ),
          );
          p.ended = true;
          const credit = model.get(starsAccount(p.user)) ?? 0n;
          const fromCredit = credit < p.nano ? credit : p.nano;
          add(starsAccount(p.user), -fromCredit);
          add(SYSTEM.starsSales, p.nano);
          add(
            o.by === 'reversal' ? starsReceivableAccount(p.user) : SYSTEM.starsRefundShortfall,
            -(p.nano - fromCredit),
          );
        } else if (o.t === 'release') {
          await db.query("UPDATE stars_earnings_holds SET release_at = now() - interval '1 second'");
          const pending = await db.query<{ key: string }>(
            'SELECT key FROM stars_earnings_holds WHERE released_at IS NULL',
          );
          await releaseDueEarnings(db);
          // In the order they were released (their postings' order): a job's held earnings first pay what its
          // payer owes for a reversed Stars charge (stars/earnings.ts), the rest goes to the owner.
          const released = await db.query<{ owner_id: string; amount: string; payer_id: string | null }>(
            `SELECT h.owner_id, h.amount_nano::text AS amount, j.user_id AS payer_id
             FROM stars_earnings_holds h LEFT JOIN jobs j ON j.id = h.job_id
             JOIN ledger_tx t ON t.unique_key = 'stars-release:' || h.key
             WHERE h.key = ANY($1::text[])
             ORDER BY (SELECT min(e.id) FROM ledger_entries e WHERE e.tx_id = t.id)`,
            [pending.rows.map((r) => r.key)],
          );
          for (const h of released.rows) {
            const amount = BigInt(h.amount);
            const owed = h.payer_id ? -(model.get(starsReceivableAccount(h.payer_id)) ?? 0n) : 0n;
            const settles = owed > 0n ? (owed < amount ? owed : amount) : 0n;
            add(starsHeldAccount(h.owner_id), -amount);
            if (h.payer_id) add(starsReceivableAccount(h.payer_id), settles);
            add(userAccount(h.owner_id), amount - settles);
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
          add(SYSTEM.fees, -amount);
          add(SYSTEM.networkFees, amount);
        } else {
          const job = jobs[o.job % Math.max(jobs.length, 1)];
          if (!job) continue;
          const times = o.retry ? 2 : 1;
          for (let n = 0; n < times; n++) {
            const from = { trial: 0n, stars: job.starsHeld };
            if (o.t === 'settle') {
              const rig = (job.hold * BigInt(o.rigPermille)) / 1000n;
              const fee = ((job.hold - rig) * BigInt(o.feePermille)) / 1000n;
              const transfers = settleTransfers({
                jobId: job.id,
                userId: job.user,
                ownerId: OWNER,
                hold: job.hold,
                from,
                rigNano: rig,
                feeNano: fee,
              });
              const r = await db.tx(async (q) => {
                const posted = await postTx(q, { kind: 'settle', uniqueKey: `release:${job.id}`, transfers });
                // The rig's share paid from Stars credit is held (jobs/settlement.ts does the same).
                const held = chargeSplit(from, rig, fee).rigFromStars;
                if (!posted.duplicate && held > 0n)
                  await holdStarsEarnings(q, 60_000, {
                    key: `settle:${job.id}`,
                    ownerId: OWNER,
                    rigId: null,
                    jobId: job.id,
                    amount: held,
                  });
                return posted;
              });
              expect(r.duplicate).toBe(!job.open);
              if (job.open) {
                job.settled = { rig, fee };
                apply(transfers);
              }
            } else {
              const transfers = releaseTransfers(job.id, job.user, job.hold, from);
              const r = await postTx(db, { kind: 'release', uniqueKey: `release:${job.id}`, transfers });
              expect(r.duplicate).toBe(!job.open);
              if (job.open) apply(transfers);
            }
            job.open = false;
          }
        }
        expect(await ledgerTotals(db)).toEqual({ entries: 0n, balances: 0n });
        expect(await balanceOf(db, SYSTEM.fees)).toBeGreaterThanOrEqual(0n);
      }
      const negatives = await db.query(
        "SELECT id FROM accounts WHERE balance < 0 AND NOT id LIKE 'system:%'",
      );
      expect(negatives.rows).toEqual([]);
      // A receivable is what a user owes: never the other way round.
      const owing = await db.query(
        "SELECT id FROM accounts WHERE balance > 0 AND id LIKE 'system:stars_receivable:%'",
      );
      expect(owing.rows).toEqual([]);
      // What is held of rig earnings is exactly what its release rows still hold.
      const rows = await db.query<{ owner_id: string; held: string }>(
        `SELECT owner_id, sum(amount_nano)::text AS held FROM stars_earnings_holds
         WHERE released_at IS NULL GROUP BY owner_id`,
      );
      for (const owner of [OWNER, ...AUDITORS])
        expect(await balanceOf(db, starsHeldAccount(owner))).toBe(
          BigInt(rows.rows.find((r) => r.owner_id === owner)?.held ?? '0'),
        );
      for (const [account, expected] of model) expect(await balanceOf(db, account)).toBe(expected);
      for (const j of jobs) expect(await balanceOf(db, holdAccount(j.id))).toBe(j.open ? j.hold : 0n);
    }),
    { numRuns: 60 },
  );
});
