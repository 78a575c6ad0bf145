// Rig earnings from Stars-paid jobs: withdrawable money, but held (stars-held:<owner>) for
// STARS_EARNINGS_HOLD_MS, because Telegram holds Stars revenue that long before the operator can convert it
// (and a charge reversed meanwhile would otherwise have paid out TON). Each held amount has a row saying
// when it is released; the sweeper moves it to the owner's withdrawable balance then, once (its unique key).
import type { Db, Queryable } from '../db';
import { postTx, starsHeldAccount, userAccount } from '../ledger/ledger';
import { dueEarningsHolds, heldOfJob, insertEarningsHold, markReleased, reduceHeldOfJob } from './repository';

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

/** Releases held earnings whose time has come (at most `limit` a pass). Returns how many were released. */
export async function releaseDueEarnings(db: Db, limit = 500): Promise<number> {
  return db.tx(async (q) => {
    const due = await dueEarningsHolds(q, limit);
    for (const h of due) {
      await postTx(q, {
        kind: 'stars-release',
        ref: h.owner_id,
        uniqueKey: `stars-release:${h.key}`,
        transfers: [
          { from: starsHeldAccount(h.owner_id), to: userAccount(h.owner_id), amount: BigInt(h.amount) },
        ],
      });
      await markReleased(q, h.key);
    }
    return due.length;
  });
}
