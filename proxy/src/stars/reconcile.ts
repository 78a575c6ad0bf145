// The reconcile pass: what the bot's reports and a refund's own answer may have missed. (1) A payment the bot
// never reported (it gave up retrying while the proxy was down, or crashed after Telegram took the Stars):
// while invoices wait for a payment, Telegram's newest transactions are read (RECONCILE_PAGES pages at most,
// none begun after RECONCILE_BUDGET_MS), and each payment of a waiting invoice, by its user, for its amount,
// and not refunded, is credited as the bot's report would have been (once per charge; a later report answers
// credited: false). With no invoice waiting, Telegram is not asked. (2) A refund whose marker outlived
// REFUND_IN_FLIGHT_MS (the proxy stopped between the debit and Telegram's answer): see finishRefund.
import { HttpError } from '../errors';
import type { StarsDeps } from './context';
import { creditCharge } from './purchases';
import { askRefund } from './refunds';
import {
  clearRefunding,
  oldestPendingSince,
  type PurchaseRow,
  pendingByPayloads,
  refundMarkerOf,
  unfinishedRefunds,
} from './repository';

/** How often the reconcile pass runs (StarsService.sweep). */
export const RECONCILE_EVERY_MS = 60_000;
/** Invoices expired up to this long ago are still looked for: a payment made at the last moment, reported late. */
export const RECONCILE_MARGIN_MS = 24 * 3600_000;
/** The most pages of Telegram's transactions one reconcile pass reads (100 each). */
export const RECONCILE_PAGES = 5;
/** No page is read after this long into a pass. */
export const RECONCILE_BUDGET_MS = 20_000;
/** The most interrupted refunds one pass finishes. */
const RECONCILE_REFUNDS = 20;
/**
 * A refund marker this old has no call in flight: a refund's calls (refundStarPayment, then at most
 * findCharge's pages) are bounded by their timeouts well within it.
 */
export const REFUND_IN_FLIGHT_MS = 30 * 60_000;

/** One reconcile pass: how many unreported payments it credited and interrupted refunds it finished. */
export async function reconcile(s: StarsDeps): Promise<{ credited: number; refundsFinished: number }> {
  const credited = await creditUnreported(s);
  let refundsFinished = 0;
  for (const row of await unfinishedRefunds(s.db, REFUND_IN_FLIGHT_MS, RECONCILE_REFUNDS)) {
    if (await finishRefund(s, row)) refundsFinished++;
  }
  return { credited, refundsFinished };
}

/** Part (1): payments of waiting invoices that Telegram shows and the bot never reported. */
async function creditUnreported(s: StarsDeps): Promise<number> {
  const since = await oldestPendingSince(s.db, RECONCILE_MARGIN_MS);
  if (!since) return 0;
  let credited = 0;
  const deadline = Date.now() + RECONCILE_BUDGET_MS;
  // A minute's slack: Telegram's clock and the database's need not agree.
  const sinceSec = Math.floor(since.getTime() / 1000) - 60;
  const { payments, refunded } = await s.telegram.recentPayments(RECONCILE_PAGES, sinceSec, deadline);
  const paid = payments.filter((t) => t.source.invoice_payload && !refunded.has(t.id));
  const waiting = await pendingByPayloads(s.db, [...new Set(paid.map((t) => t.source.invoice_payload!))]);
  for (const row of waiting) {
    const pay = paid.find(
      (t) =>
        t.source.invoice_payload === row.payload &&
        String(t.source.user.id) === row.user_id &&
        t.amount === row.stars,
    );
    if (!pay) continue;
    const done = await creditCharge(s, row.id, pay.id).catch((err) => {
      // Another purchase has this charge (its unique id): not this one's.
      if (err instanceof HttpError && err.code === 'stars_charge_used') return false;
      throw err;
    });
    if (done === true) credited++;
  }
  return credited;
}

/**
 * A refund interrupted after its debit: long enough ago that no call of it is in flight. Telegram shows
 * the refund: it stands. Telegram shows none: it is asked again rather than the credit given back. The
 * buyer asked for it and passed the checks when the credit was taken, and Telegram refunds a charge once
 * (CHARGE_ALREADY_REFUNDED), so asking again can't return the Stars twice; giving the credit back instead
 * would leave the buyer both were the first call's refund made after all. If Telegram then refuses and its
 * records still show no refund, the credit goes back (askRefund), as when it refuses at once.
 */
async function finishRefund(s: StarsDeps, row: PurchaseRow): Promise<boolean> {
  const marker = await refundMarkerOf(s.db, row.id);
  if (!marker) return false;
  const record = await s.telegram.findCharge(row.telegram_payment_charge_id!);
  if (record.refund) {
    await s.db.tx(async (q) => {
      if ((await refundMarkerOf(q, row.id))?.attempt === marker.attempt) await clearRefunding(q, row.id);
    });
    return true;
  }
  // Refused with Telegram unreadable: the marker stays for the next pass.
  await askRefund(s, row, marker.attempt).catch(() => undefined);
  return !(await refundMarkerOf(s.db, row.id));
}
