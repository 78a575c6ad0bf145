// What a user owes for a Stars charge Telegram reversed after its credit was spent: booked as a receivable
// (system:stars_receivable:<user>, below zero by what is owed), so the user's own balances stay non-negative.
// While anything is owed, new jobs are refused; the next Stars purchase settles it first (service.ts).
import type { Queryable } from '../db';
import { HttpError } from '../errors';
import { balanceOf, starsReceivableAccount } from '../ledger/ledger';

export async function starsOwedBy(q: Queryable, userId: string): Promise<bigint> {
  return -(await balanceOf(q, starsReceivableAccount(userId)));
}

/** Refuses a new job (402 `stars_receivable`) while the user owes for a reversed Stars charge. */
export async function refuseWhileStarsOwed(q: Queryable, userId: string): Promise<void> {
  const owed = await starsOwedBy(q, userId);
  if (owed > 0n)
    throw new HttpError(
      402,
      'stars_receivable',
      `Telegram reversed a Stars payment whose credit was already spent: ${owed} nanoTON is owed, and new jobs are refused until it is settled (a Stars purchase settles it first)`,
    );
}
