// The ledger postings of Stars purchases: a purchase credited (settling first what the user owes for a
// reversed charge), and its credit taken back by a refund or a reversal. Each is one double-entry posting
// with a unique key; the caller holds the purchase row's lock.
import type { Queryable } from '../db';
import { minNano, postTx, SYSTEM, starsAccount, starsReceivableAccount } from '../ledger/ledger';
import { lockStarsBalances, type PurchaseRow } from './repository';

/**
 * Credits a paid purchase to the user's Stars credit, once per charge. What the user owes for a reversed
 * charge is settled from it first. Returns what it settled.
 */
export async function creditPurchase(q: Queryable, row: PurchaseRow, chargeId: string): Promise<bigint> {
  const { owed } = await lockStarsBalances(q, row.user_id);
  const nano = BigInt(row.nano);
  const settled = minNano(nano, owed);
  await postTx(q, {
    kind: 'stars-purchase',
    ref: row.id,
    uniqueKey: `stars-purchase:${chargeId}`,
    transfers: [
      { from: SYSTEM.starsSales, to: starsAccount(row.user_id), amount: nano },
      { from: starsAccount(row.user_id), to: starsReceivableAccount(row.user_id), amount: settled },
    ],
  });
  return settled;
}

/** Who bears the spent part of a charge given back: the user (a receivable) or the operator (a loss). */
export type Shortfall = 'receivable' | 'operator';

/**
 * Takes a purchase's credit back to where it came from: what is left of the user's Stars credit, and the
 * rest (already spent) from the user's receivable (a reversal by Telegram) or the operator's loss (an
 * operator's refund). `attempt` makes the key unique per try (a refund Telegram refused is undone).
 */
export async function debitPurchase(
  q: Queryable,
  row: PurchaseRow,
  kind: 'stars-refund' | 'stars-reversal',
  shortfall: Shortfall,
  attempt = '',
): Promise<{ fromCredit: bigint; shortfall: bigint }> {
  const { credit } = await lockStarsBalances(q, row.user_id);
  const nano = BigInt(row.nano);
  const fromCredit = minNano(credit, nano);
  await postTx(q, {
    kind,
    ref: row.id,
    uniqueKey: `${kind}:${row.telegram_payment_charge_id}${attempt}`,
    transfers: [
      { from: starsAccount(row.user_id), to: SYSTEM.starsSales, amount: fromCredit },
      {
        from: shortfall === 'receivable' ? starsReceivableAccount(row.user_id) : SYSTEM.starsRefundShortfall,
        to: SYSTEM.starsSales,
        amount: nano - fromCredit,
      },
    ],
  });
  return { fromCredit, shortfall: nano - fromCredit };
}

/** Gives back what a refund Telegram refused took, as it was taken. */
export async function undoRefund(
  q: Queryable,
  row: PurchaseRow,
  attempt: string,
  taken: { fromCredit: bigint; shortfall: bigint },
): Promise<void> {
  await postTx(q, {
    kind: 'stars-refund-undo',
    ref: row.id,
    uniqueKey: `stars-refund-undo:${row.telegram_payment_charge_id}${attempt}`,
    transfers: [
      { from: SYSTEM.starsSales, to: starsAccount(row.user_id), amount: taken.fromCredit },
      { from: SYSTEM.starsSales, to: SYSTEM.starsRefundShortfall, amount: taken.shortfall },
    ],
  });
}
