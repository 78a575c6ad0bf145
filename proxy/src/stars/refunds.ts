// Taking Stars credit back: the buyer's refund, of a wholly unspent purchase within STARS_REFUND_WINDOW_MS
// (Telegram refunds whole charges only); the operator's, of any charge; and Telegram's own reversal, whose
// spent part becomes a receivable that blocks new jobs until a purchase settles it. A refund interrupted
// between its debit and Telegram's answer is finished by the reconcile pass (reconcile.ts).
import { randomUUID } from 'node:crypto';
import { formatTon, type StarsPurchaseView } from '@cocoon/shared';
import type { Queryable } from '../db';
import { conflict, forbidden, HttpError, notFound } from '../errors';
import { alreadyRefunded, findCharge, type StarsDeps, telegramUnavailable } from './context';
import { debitPurchase, undoRefund } from './money';
import { allocate, notRefundable, viewPurchase } from './purchase-view';
import {
  clearRefunding,
  lockStarsBalances,
  markEnded,
  markRefunding,
  type PurchaseRow,
  purchaseByCharge,
  purchaseById,
  purchaseByPayload,
  refundMarkerOf,
  starsHeldByOpenJobs,
} from './repository';

/**
 * The bot's refunded_payment: Telegram reversed a charge on its own. Confirmed with Telegram, then the
 * credit is debited; what of it was spent becomes what the user owes (new jobs refused until settled).
 * Repeats move nothing.
 */
export async function reversal(s: StarsDeps, p: { telegramUserId: string; telegramPaymentChargeId: string }) {
  const record = await findCharge(s, p.telegramPaymentChargeId);
  const refund = record.refund;
  if (!refund || String(refund.receiver.user.id) !== p.telegramUserId)
    throw new HttpError(
      409,
      'stars_unconfirmed',
      `Telegram shows no refund of charge ${p.telegramPaymentChargeId} to user ${p.telegramUserId}; nothing moved`,
    );
  // A payment never reported here is found by its payload: that invoice ends reversed, with nothing to debit.
  const purchase =
    (await purchaseByCharge(s.db, p.telegramPaymentChargeId)) ??
    (refund.receiver.invoice_payload
      ? await purchaseByPayload(s.db, refund.receiver.invoice_payload)
      : undefined);
  // An invoice paid with another charge is not this charge's purchase (a second charge of one invoice,
  // refunded by payment()): its reversal must not debit the credit the first charge bought.
  if (
    !purchase ||
    (purchase.telegram_payment_charge_id !== null &&
      purchase.telegram_payment_charge_id !== p.telegramPaymentChargeId)
  )
    throw notFound(`no purchase has charge ${p.telegramPaymentChargeId}; nothing moved`);
  if (purchase.user_id !== p.telegramUserId)
    throw forbidden(`charge ${p.telegramPaymentChargeId} is another user's; nothing moved`);
  await s.db.tx(async (q) => {
    const row = (await purchaseById(q, purchase.id, true))!;
    if (row.state === 'refunded' || row.state === 'reversed') return;
    if (row.state === 'pending') {
      await markEnded(q, row.id, 'reversed', p.telegramPaymentChargeId);
      return;
    }
    await debitPurchase(q, row, 'stars-reversal', 'receivable');
    await markEnded(q, row.id, 'reversed');
  });
  return { purchase: await viewPurchase(s.db, s.config, purchase.user_id, purchase.id) };
}

/**
 * The buyer asks for a refund: within the window, of a wholly unspent purchase. The credit is taken first,
 * then Telegram refunds the charge; if Telegram refuses, the credit is given back.
 */
export async function refund(s: StarsDeps, userId: string, purchaseId: string) {
  const purchase = await purchaseById(s.db, purchaseId);
  if (!purchase || purchase.user_id !== userId) throw notFound('no such purchase of yours');
  return refundCharge(s, purchase, async (q, row) => {
    const problem = notRefundable(s.config, await allocate(q, row.user_id, true), row);
    if (problem) throw conflict(problem, 'stars_not_refundable');
  });
}

/** The operator refunds any paid charge; what of it was spent is the operator's loss. */
export async function adminRefund(s: StarsDeps, chargeId: string) {
  const purchase = await purchaseByCharge(s.db, chargeId);
  if (!purchase) throw notFound(`no purchase has charge ${chargeId}`);
  return refundCharge(s, purchase, async (q, row) => {
    // Credit held by an unfinished job would count as spent (the operator's loss) and then come back to
    // the user when the job fails: a refunded charge's credit, free. Refunded once those jobs end.
    await lockStarsBalances(q, row.user_id);
    const held = await starsHeldByOpenJobs(q, row.user_id);
    if (held > 0n)
      throw conflict(
        `${formatTon(held)} TON of this user's Stars credit is held by unfinished jobs; refund once they end`,
        'stars_credit_held',
      );
  });
}

async function refundCharge(
  s: StarsDeps,
  purchase: PurchaseRow,
  check: (q: Queryable, row: PurchaseRow) => Promise<void>,
): Promise<{ purchase: StarsPurchaseView }> {
  const attempt = `:${randomUUID()}`;
  // The debit and the refund marker in one transaction, before Telegram is asked: a proxy stopped before
  // Telegram's answer leaves the marker, and the reconcile pass finishes the refund.
  await s.db.tx(async (q) => {
    const row = (await purchaseById(q, purchase.id, true))!;
    if (row.state !== 'paid')
      throw conflict(
        row.state === 'pending' ? 'this purchase was never paid' : `this purchase was already ${row.state}`,
        'stars_not_refundable',
      );
    await check(q, row);
    const taken = await debitPurchase(q, row, 'stars-refund', 'operator', attempt);
    await markRefunding(q, row.id, attempt, taken);
  });
  await askRefund(s, purchase, attempt);
  return { purchase: await viewPurchase(s.db, s.config, purchase.user_id, purchase.id) };
}

/**
 * Asks Telegram to refund a charge whose credit refundCharge took (marker `attempt`), and settles the
 * marker: refunded when Telegram made it or made it before; otherwise the credit goes back (a 502),
 * unless Telegram's records show the refund anyway (a timeout or a lost answer after Telegram made it:
 * undoing then would leave the buyer both the Stars and the credit). When those records can't be read
 * either, the marker stays and the reconcile pass decides later.
 */
export async function askRefund(s: StarsDeps, purchase: PurchaseRow, attempt: string): Promise<void> {
  const chargeId = purchase.telegram_payment_charge_id!;
  let failure: unknown;
  try {
    await s.telegram.refundStarPayment(Number(purchase.user_id), chargeId);
  } catch (err) {
    failure = err;
  }
  const refunded =
    failure === undefined ||
    alreadyRefunded(failure) ||
    (await s.telegram.findCharge(chargeId).then(
      (r) => r.refund !== null,
      () => undefined,
    ));
  if (refunded === undefined) throw telegramUnavailable(failure);
  await s.db.tx(async (q) => {
    const marker = await refundMarkerOf(q, purchase.id);
    // Settled already (the reconcile pass, or this attempt's twin): nothing more moves.
    if (marker?.attempt !== attempt) return;
    if (!refunded) {
      await undoRefund(q, purchase, attempt, marker);
      await markEnded(q, purchase.id, 'paid');
    }
    await clearRefunding(q, purchase.id);
  });
  if (!refunded) throw telegramUnavailable(failure);
}
