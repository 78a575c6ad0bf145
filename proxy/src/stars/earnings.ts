// Rig earnings from Stars-paid jobs: withdrawable money, but held (stars-held:<owner>) for
// STARS_EARNINGS_HOLD_MS, because Telegram holds Stars revenue that long before the operator can convert it
// (and a charge reversed meanwhile would otherwise have paid out TON). Each held amount has a row saying
// when it is released; the sweeper moves it to the owner's withdrawable balance then, once (its unique key).
import type { Db, Queryable } from '../db';
import { minNano, postTx, starsHeldAccount, starsReceivableAccount, userAccount } from '../ledger/ledger';
import {
  dueEarningsHolds,
  heldOfJob,
  insertEarningsHold,
  lockStarsBalances,
  markReleased,
  reduceHeldOfJob,
} from './repository';

/**
 * Records earnings just posted to stars-held:<owner> (by a settlement or an auditor's pay), released after
 * `holdMs`. Call in the transaction that posted them.
 */
export async function holdStarsEarnings(
  q: Queryable,
  holdMs: number,
  h: { key: string; ownerId: string; rigId: string | null; jobId: string | null; amount: bigint },
): Promise<void> {
  await insertEarningsHold(q, { ...h, holdMs });
}

/** What is still held of a job's earnings (row locked): an audit refund takes it back first. */
export function heldEarningsOfJob(q: Queryable, jobId: string): Promise<bigint> {
  return heldOfJob(q, jobId);
}

/** After an audit refund took `amount` of a job's held earnings back: less is left to release. */
export async function takeBackHeldEarnings(q: Queryable, jobId: string, amount: bigint): Promise<void> {
  await reduceHeldOfJob(q, jobId, amount);
}

/**
 * Releases held earnings whose time has come (at most `limit` a pass). Returns how many were released.
 *
 * Earnings of a job whose payer owes for a reversed Stars charge settle that debt first: that is what the hold
 * is for. Without it a rig owner paid by their own second account (a Sybil) would keep the TON after Telegram
 * gave the Stars back, the buyer walking away from the receivable.
 */
export async function releaseDueEarnings(db: Db, limit = 500): Promise<number> {
  return db.tx(async (q) => {
    const due = await dueEarningsHolds(q, limit);
    for (const h of due) {
      const amount = BigInt(h.amount);
      const owed = h.payer_id ? (await lockStarsBalances(q, h.payer_id)).owed : 0n;
      const settles = minNano(amount, owed > 0n ? owed : 0n);
      await postTx(q, {
        kind: 'stars-release',
        ref: h.owner_id,
        uniqueKey: `stars-release:${h.key}`,
        transfers: [
          ...(h.payer_id
            ? [
                {
                  from: starsHeldAccount(h.owner_id),
                  to: starsReceivableAccount(h.payer_id),
                  amount: settles,
                },
              ]
            : []),
          { from: starsHeldAccount(h.owner_id), to: userAccount(h.owner_id), amount: amount - settles },
        ],
      });
      await markReleased(q, h.key);
    }
    return due.length;
  });
}
