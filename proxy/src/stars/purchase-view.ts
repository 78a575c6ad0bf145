// A purchase as its buyer sees it: what of its credit is spent, and whether (until when, or why not) it can be
// refunded. Stars credit is spent oldest purchase first, so the credit left belongs to the newest purchases;
// credit held by a running job is not in the balance, so it counts as spent until the job ends.
import { formatTon, type StarsPurchaseView } from '@cocoon/shared';
import type { Config } from '../config';
import type { Queryable } from '../db';
import { balanceOf, minNano, starsAccount } from '../ledger/ledger';
import { lockStarsBalances, type PurchaseRow, paidPurchasesOf, purchaseById } from './repository';

type WindowConfig = Pick<Config, 'STARS_REFUND_WINDOW_MS'>;

/** A paid purchase and what of its credit is spent. */
export interface Allocated {
  row: PurchaseRow;
  spent: bigint;
}

/** A user's paid purchases with what of each is spent (`lock`: the Stars balance row locked, for a refund). */
export async function allocate(q: Queryable, userId: string, lock: boolean): Promise<Allocated[]> {
  let left = lock ? (await lockStarsBalances(q, userId)).credit : await balanceOf(q, starsAccount(userId));
  return (await paidPurchasesOf(q, userId)).map((row) => {
    const nano = BigInt(row.nano);
    const unspent = minNano(left, nano);
    left -= unspent;
    return { row, spent: nano - unspent };
  });
}

function refundableUntil(config: WindowConfig, row: PurchaseRow): Date | null {
  return row.paid_at ? new Date(new Date(row.paid_at).getTime() + config.STARS_REFUND_WINDOW_MS) : null;
}

/** Why the buyer can't have this purchase refunded now, or null. */
export function notRefundable(config: WindowConfig, allocated: Allocated[], row: PurchaseRow): string | null {
  if (row.state === 'pending') return 'not paid';
  if (row.state === 'refunded') return 'already refunded';
  if (row.state === 'reversed') return 'reversed by Telegram';
  const until = refundableUntil(config, row);
  if (until && until.getTime() < Date.now())
    return `the refund window ended at ${until.toISOString()} (${Math.round(config.STARS_REFUND_WINDOW_MS / 86_400_000)} days after payment)`;
  const spent = allocated.find((a) => a.row.id === row.id)?.spent ?? 0n;
  if (spent > 0n)
    return `${formatTon(spent)} TON of its ${formatTon(BigInt(row.nano))} TON credit is spent (or held by a running job); Telegram refunds only whole charges, so only a wholly unspent purchase can be refunded`;
  return null;
}

export function purchaseView(
  config: WindowConfig,
  row: PurchaseRow,
  allocated: Allocated[],
): StarsPurchaseView {
  const spent = row.state === 'paid' ? (allocated.find((a) => a.row.id === row.id)?.spent ?? 0n) : 0n;
  const why = notRefundable(config, allocated, row);
  return {
    id: row.id,
    stars: row.stars,
    nano: row.nano,
    rateNanoPerStar: row.rate_nano_per_star,
    state: row.state,
    telegramPaymentChargeId: row.telegram_payment_charge_id,
    createdAt: new Date(row.created_at).toISOString(),
    paidAt: row.paid_at ? new Date(row.paid_at).toISOString() : null,
    spentNano: spent.toString(),
    refundable: why === null,
    refundableUntil: row.state === 'paid' ? (refundableUntil(config, row)?.toISOString() ?? null) : null,
    notRefundableReason: why,
  };
}

/** One purchase of a user as its buyer sees it now. */
export async function viewPurchase(
  q: Queryable,
  config: WindowConfig,
  userId: string,
  purchaseId: string,
): Promise<StarsPurchaseView> {
  const allocated = await allocate(q, userId, false);
  return purchaseView(config, (await purchaseById(q, purchaseId))!, allocated);
}
