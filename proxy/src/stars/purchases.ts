// Buying Stars credit: the invoice (a random payload bound to the user and the pack), the bot's pre-checkout,
// and the payment, credited only once Telegram itself confirms the charge, once per charge id. The reconcile
// pass (reconcile.ts) credits a payment the bot never reported through creditCharge too.
import { randomBytes, randomUUID } from 'node:crypto';
import { formatTon, STARS_CURRENCY, type StarsPreCheckoutAnswer } from '@cocoon/shared';
import type { Queryable } from '../db';
import { conflict, forbidden, HttpError } from '../errors';
import { balanceOf, starsAccount } from '../ledger/ledger';
import { findUser } from '../users-repository';
import { alreadyRefunded, findCharge, type StarsDeps, telegramUnavailable } from './context';
import { creditPurchase } from './money';
import { viewPurchase } from './purchase-view';
import {
  insertPurchase,
  lockBuyer,
  markCheckedOut,
  markPaid,
  openInvoiceCount,
  type PurchaseRow,
  purchaseById,
  purchaseByPayload,
  purchaseExpired,
  starsPaidToday,
} from './repository';

/** How long an invoice's payload can be paid. */
export const STARS_INVOICE_TTL_MS = 24 * 3600_000;
/** The most unpaid invoices one user may have open at once. */
export const MAX_OPEN_INVOICES = 20;

/** A purchase waiting for its payment: its random payload, and (asked for) an invoice link. */
export async function createInvoice(s: StarsDeps, userId: string, stars: number, link: boolean) {
  if (!s.config.STARS_PACKS.includes(stars))
    throw new HttpError(
      400,
      'stars_pack_unknown',
      `${stars} Stars is not a pack on offer; the packs are ${s.config.STARS_PACKS.join(', ')} Stars`,
    );
  const problem = await capProblem(s, s.db, userId, stars);
  if (problem) throw new HttpError(403, 'stars_daily_cap', problem);
  // Checked before asking Telegram for a link too, so a user at the limit costs no Bot API call.
  if ((await openInvoiceCount(s.db, userId)) >= MAX_OPEN_INVOICES) throw tooManyInvoices();
  const rate = s.config.STARS_NANOTON_PER_STAR;
  const nano = BigInt(stars) * rate;
  // 24 random bytes: unguessable, 35 ASCII characters (Telegram allows 128 bytes). The row binds it to
  // the user and the pack; it is never reused.
  const payload = `cs_${randomBytes(24).toString('base64url')}`;
  const title = `${stars} Stars of compute`;
  const description = `${formatTon(nano)} TON of compute credit on Cocoon (${formatTon(rate)} TON per Star): pays for jobs, can't be withdrawn.`;
  let invoiceLink: string | null = null;
  if (link) {
    try {
      invoiceLink = await s.telegram.createInvoiceLink({ title, description, payload, stars });
    } catch (err) {
      throw telegramUnavailable(err);
    }
  }
  const id = randomUUID();
  await s.db.tx(async (q) => {
    // The open-invoice limit is counted and kept under the user's lock (requests at once take turns).
    await lockBuyer(q, userId);
    if ((await openInvoiceCount(q, userId)) >= MAX_OPEN_INVOICES) throw tooManyInvoices();
    await insertPurchase(q, { id, userId, payload, stars, rate, nano, ttlMs: STARS_INVOICE_TTL_MS });
  });
  return {
    purchaseId: id,
    payload,
    stars,
    nano: nano.toString(),
    rateNanoPerStar: rate.toString(),
    title,
    description,
    invoiceLink,
  };
}

/** Why a user may not pay `stars` more today (for invoice `except`, at its pre-checkout), or null. */
async function capProblem(
  s: StarsDeps,
  q: Queryable,
  userId: string,
  stars: number,
  except?: string,
): Promise<string | null> {
  const today = await starsPaidToday(q, userId, except);
  if (today + stars <= s.config.STARS_DAILY_CAP) return null;
  return `that would take your Stars payments today to ${today + stars}, over the daily limit of ${s.config.STARS_DAILY_CAP} Stars; try again tomorrow (UTC)`;
}

/**
 * The bot's pre_checkout_query: whether Telegram may take the payment. Every refusal says why (Telegram
 * shows it to the user); nothing moves either way.
 */
export async function preCheckout(
  s: StarsDeps,
  p: { telegramUserId: string; payload: string; currency: string; totalAmount: number },
): Promise<StarsPreCheckoutAnswer> {
  const refuse = (reason: string): StarsPreCheckoutAnswer => ({ ok: false, reason });
  if (p.currency !== STARS_CURRENCY) return refuse(`this invoice is paid in Stars (XTR), not ${p.currency}`);
  if (!(await findUser(s.db, p.telegramUserId)))
    return refuse('unknown user: open the bot or the Mini App once, then buy again');
  const purchase = await purchaseByPayload(s.db, p.payload);
  if (!purchase) return refuse('this invoice was not issued by Cocoon; ask for a new one with /buy');
  if (purchase.user_id !== p.telegramUserId)
    return refuse('this invoice was made for another user; ask for your own with /buy');
  if (purchase.state !== 'pending') return refuse('this invoice was already paid; ask for a new one');
  if (await purchaseExpired(s.db, purchase.id))
    return refuse('this invoice has expired; ask for a new one with /buy');
  if (!s.config.STARS_PACKS.includes(purchase.stars))
    return refuse(`the ${purchase.stars} Stars pack is no longer offered; ask for a new invoice`);
  if (p.totalAmount !== purchase.stars)
    return refuse(`the amount ${p.totalAmount} Stars does not match this invoice (${purchase.stars} Stars)`);
  // One pre-checkout of a user at a time; the one that passes holds its room under the cap until paid.
  const problem = await s.db.tx(async (q) => {
    await lockBuyer(q, p.telegramUserId);
    const found = await capProblem(s, q, p.telegramUserId, purchase.stars, purchase.id);
    if (!found) await markCheckedOut(q, purchase.id);
    return found;
  });
  if (problem) return refuse(problem);
  return { ok: true };
}

/**
 * The bot's successful_payment. The charge is confirmed with Telegram (getStarTransactions: that id, from
 * that user, that amount, that payload, not refunded) before anything moves; each charge is credited once
 * (`credited: false` for a repeat). A later purchase settles what the user owes first.
 */
export async function payment(
  s: StarsDeps,
  p: {
    telegramUserId: string;
    payload: string;
    currency: string;
    totalAmount: number;
    telegramPaymentChargeId: string;
  },
) {
  if (p.currency !== STARS_CURRENCY)
    throw new HttpError(400, 'stars_currency', `Stars payments are in XTR, not ${p.currency}`);
  const purchase = await purchaseByPayload(s.db, p.payload);
  checkReport(purchase, p);
  // A repeated report of a charge credited before: nothing moves, nothing to confirm.
  if (purchase.telegram_payment_charge_id !== p.telegramPaymentChargeId) await confirmPayment(s, p);
  const credited = await creditCharge(s, purchase.id, p.telegramPaymentChargeId);
  if (credited === 'paid-twice') {
    // The invoice was paid twice (two pre-checkouts passed before either payment): this second charge is
    // confirmed as the user's, for this invoice, and is never credited, so the Stars go back to the user
    // rather than being lost.
    try {
      await s.telegram.refundStarPayment(Number(p.telegramUserId), p.telegramPaymentChargeId);
    } catch (err) {
      // Not refunded yet: a 502, so the bot reports it again (a 4xx it would not).
      if (!alreadyRefunded(err)) throw telegramUnavailable(err);
    }
    throw conflict(
      'this invoice was already paid with another charge; nothing was credited, and this charge was refunded',
      'stars_payload_used',
    );
  }
  return {
    credited,
    purchase: await viewPurchase(s.db, s.config, purchase.user_id, purchase.id),
    starsNano: (await balanceOf(s.db, starsAccount(purchase.user_id))).toString(),
  };
}

/**
 * Credits a confirmed charge to its pending purchase, once: false when this charge was credited before,
 * 'paid-twice' when the purchase was paid with another charge. The bot's report and the reconcile pass
 * both credit through here (the charge id's unique constraint backs the row lock).
 */
export async function creditCharge(
  s: StarsDeps,
  purchaseId: string,
  chargeId: string,
): Promise<boolean | 'paid-twice'> {
  return s.db
    .tx(async (q) => {
      const row = (await purchaseById(q, purchaseId, true))!;
      if (row.state !== 'pending') {
        // Credited before (a repeated update, or a duplicate that won the race): nothing moves.
        if (row.telegram_payment_charge_id === chargeId) return false;
        return 'paid-twice' as const;
      }
      await markPaid(q, row.id, chargeId);
      await creditPurchase(q, row, chargeId);
      return true;
    })
    .catch((err) => {
      // The charge id's unique constraint: another purchase has this charge.
      if ((err as { code?: string }).code === '23505')
        throw conflict('this charge was already credited to another invoice', 'stars_charge_used');
      throw err;
    });
}

/** The bot's report must name an invoice of this user, for its amount. */
function checkReport(
  purchase: PurchaseRow | undefined,
  p: { telegramUserId: string; totalAmount: number; telegramPaymentChargeId: string },
): asserts purchase is PurchaseRow {
  if (!purchase)
    throw new HttpError(
      404,
      'stars_payload_unknown',
      'no invoice with this payload was issued by this proxy',
    );
  if (purchase.user_id !== p.telegramUserId)
    throw forbidden(`this invoice was made for another user, not ${p.telegramUserId}; nothing was credited`);
  if (p.totalAmount !== purchase.stars)
    throw new HttpError(
      400,
      'stars_amount_mismatch',
      `the payment is ${p.totalAmount} Stars but the invoice is for ${purchase.stars} Stars; nothing was credited`,
    );
}

/** Telegram's own record of the charge must match the report exactly, and not be refunded. */
async function confirmPayment(
  s: StarsDeps,
  p: { telegramUserId: string; payload: string; totalAmount: number; telegramPaymentChargeId: string },
): Promise<void> {
  const record = await findCharge(s, p.telegramPaymentChargeId);
  const pay = record.payment;
  const unconfirmed = (why: string) =>
    new HttpError(
      409,
      'stars_unconfirmed',
      `Telegram does not confirm this charge: ${why}; nothing was credited`,
    );
  if (!pay) throw unconfirmed('it has no payment with this charge id');
  if (String(pay.source.user.id) !== p.telegramUserId) throw unconfirmed('it was paid by another user');
  if (pay.amount !== p.totalAmount) throw unconfirmed(`it was for ${pay.amount} Stars`);
  if (pay.source.invoice_payload !== p.payload) throw unconfirmed('it paid another invoice');
  if (record.refund) throw unconfirmed('it has been refunded');
}

function tooManyInvoices(): HttpError {
  return new HttpError(
    429,
    'stars_too_many_invoices',
    `you have ${MAX_OPEN_INVOICES} unpaid invoices open; pay one or wait for them to expire (${STARS_INVOICE_TTL_MS / 3600_000} h)`,
  );
}
