// Telegram Stars buy compute credit (issue #29). A purchase is an invoice with a random payload bound to the
// user and the pack; the bot asks the proxy at pre-checkout and reports the payment, and the proxy credits
// only a charge it confirmed with Telegram itself, once per charge id. Stars credit (stars:<user>) pays jobs
// after trial credit and before the user's own money (ledger/trial-credit.ts) and is never withdrawable.
// Refunds: the buyer's, of a wholly unspent purchase within STARS_REFUND_WINDOW_MS (Telegram refunds whole
// charges only); the operator's, of any charge; Telegram's own reversal, whose spent part becomes a
// receivable that blocks new jobs until a purchase settles it.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  formatTon,
  STARS_CURRENCY,
  type StarsOffer,
  type StarsPreCheckoutAnswer,
  type StarsPurchaseView,
} from '@cocoon/shared';
import type { Config } from '../config';
import type { Db, Queryable } from '../db';
import { conflict, forbidden, HttpError, notFound } from '../errors';
import { balanceOf, starsAccount } from '../ledger/ledger';
import { findUser } from '../users-repository';
import { releaseDueEarnings } from './earnings';
import { creditPurchase, debitPurchase, undoRefund } from './money';
import { allocate, notRefundable, purchaseView } from './purchase-view';
import {
  insertPurchase,
  lockBuyer,
  lockStarsBalances,
  markCheckedOut,
  markEnded,
  markPaid,
  openInvoiceCount,
  type PurchaseRow,
  purchaseByCharge,
  purchaseById,
  purchaseByPayload,
  purchaseExpired,
  purchasesOf,
  starsHeldByOpenJobs,
  starsPaidToday,
} from './repository';
import { TelegramError, type TelegramStarsApi } from './telegram';

/** How long an invoice's payload can be paid. */
export const STARS_INVOICE_TTL_MS = 24 * 3600_000;
/** The most unpaid invoices one user may have open at once. */
export const MAX_OPEN_INVOICES = 20;

type StarsConfig = Pick<
  Config,
  | 'STARS_NANOTON_PER_STAR'
  | 'STARS_PACKS'
  | 'STARS_DAILY_CAP'
  | 'STARS_REFUND_WINDOW_MS'
  | 'STARS_EARNINGS_HOLD_MS'
>;

export class StarsService {
  constructor(
    private readonly db: Db,
    private readonly config: StarsConfig,
    private readonly telegram: TelegramStarsApi,
  ) {}

  offer(): StarsOffer {
    const rate = this.config.STARS_NANOTON_PER_STAR;
    return {
      rateNanoPerStar: rate.toString(),
      packs: this.config.STARS_PACKS.map((stars) => ({ stars, nano: (BigInt(stars) * rate).toString() })),
      dailyCapStars: this.config.STARS_DAILY_CAP,
      refundWindowMs: this.config.STARS_REFUND_WINDOW_MS,
      earningsHoldMs: this.config.STARS_EARNINGS_HOLD_MS,
    };
  }

  /** A purchase waiting for its payment: its random payload, and (asked for) an invoice link. */
  async createInvoice(userId: string, stars: number, link: boolean) {
    if (!this.config.STARS_PACKS.includes(stars))
      throw new HttpError(
        400,
        'stars_pack_unknown',
        `${stars} Stars is not a pack on offer; the packs are ${this.config.STARS_PACKS.join(', ')} Stars`,
      );
    const capProblem = await this.capProblem(this.db, userId, stars);
    if (capProblem) throw new HttpError(403, 'stars_daily_cap', capProblem);
    // Checked before asking Telegram for a link too, so a user at the limit costs no Bot API call.
    if ((await openInvoiceCount(this.db, userId)) >= MAX_OPEN_INVOICES) throw tooManyInvoices();
    const rate = this.config.STARS_NANOTON_PER_STAR;
    const nano = BigInt(stars) * rate;
    // 24 random bytes: unguessable, 35 ASCII characters (Telegram allows 128 bytes). The row binds it to
    // the user and the pack; it is never reused.
    const payload = `cs_${randomBytes(24).toString('base64url')}`;
    const title = `${stars} Stars of compute`;
    const description = `${formatTon(nano)} TON of compute credit on Cocoon (${formatTon(rate)} TON per Star): pays for jobs, can't be withdrawn.`;
    let invoiceLink: string | null = null;
    if (link) {
      try {
        invoiceLink = await this.telegram.createInvoiceLink({ title, description, payload, stars });
      } catch (err) {
        throw telegramUnavailable(err);
      }
    }
    const id = randomUUID();
    await this.db.tx(async (q) => {
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
  private async capProblem(
    q: Queryable,
    userId: string,
    stars: number,
    except?: string,
  ): Promise<string | null> {
    const today = await starsPaidToday(q, userId, except);
    if (today + stars <= this.config.STARS_DAILY_CAP) return null;
    return `that would take your Stars payments today to ${today + stars}, over the daily limit of ${this.config.STARS_DAILY_CAP} Stars; try again tomorrow (UTC)`;
  }

  /**
   * The bot's pre_checkout_query: whether Telegram may take the payment. Every refusal says why (Telegram
   * shows it to the user); nothing moves either way.
   */
  async preCheckout(p: {
    telegramUserId: string;
    payload: string;
    currency: string;
    totalAmount: number;
  }): Promise<StarsPreCheckoutAnswer> {
    const refuse = (reason: string): StarsPreCheckoutAnswer => ({ ok: false, reason });
    if (p.currency !== STARS_CURRENCY)
      return refuse(`this invoice is paid in Stars (XTR), not ${p.currency}`);
    if (!(await findUser(this.db, p.telegramUserId)))
      return refuse('unknown user: open the bot or the Mini App once, then buy again');
    const purchase = await purchaseByPayload(this.db, p.payload);
    if (!purchase) return refuse('this invoice was not issued by Cocoon; ask for a new one with /buy');
    if (purchase.user_id !== p.telegramUserId)
      return refuse('this invoice was made for another user; ask for your own with /buy');
    if (purchase.state !== 'pending') return refuse('this invoice was already paid; ask for a new one');
    if (await purchaseExpired(this.db, purchase.id))
      return refuse('this invoice has expired; ask for a new one with /buy');
    if (!this.config.STARS_PACKS.includes(purchase.stars))
      return refuse(`the ${purchase.stars} Stars pack is no longer offered; ask for a new invoice`);
    if (p.totalAmount !== purchase.stars)
      return refuse(
        `the amount ${p.totalAmount} Stars does not match this invoice (${purchase.stars} Stars)`,
      );
    // One pre-checkout of a user at a time; the one that passes holds its room under the cap until paid.
    const capProblem = await this.db.tx(async (q) => {
      await lockBuyer(q, p.telegramUserId);
      const problem = await this.capProblem(q, p.telegramUserId, purchase.stars, purchase.id);
      if (!problem) await markCheckedOut(q, purchase.id);
      return problem;
    });
    if (capProblem) return refuse(capProblem);
    return { ok: true };
  }

  /**
   * The bot's successful_payment. The charge is confirmed with Telegram (getStarTransactions: that id, from
   * that user, that amount, that payload, not refunded) before anything moves; each charge is credited once
   * (`credited: false` for a repeat). A later purchase settles what the user owes first.
   */
  async payment(p: {
    telegramUserId: string;
    payload: string;
    currency: string;
    totalAmount: number;
    telegramPaymentChargeId: string;
  }) {
    if (p.currency !== STARS_CURRENCY)
      throw new HttpError(400, 'stars_currency', `Stars payments are in XTR, not ${p.currency}`);
    const purchase = await purchaseByPayload(this.db, p.payload);
    this.checkReport(purchase, p);
    // A repeated report of a charge credited before: nothing moves, nothing to confirm.
    if (purchase.telegram_payment_charge_id !== p.telegramPaymentChargeId) await this.confirmPayment(p);
    const credited = await this.db
      .tx(async (q) => {
        const row = (await purchaseById(q, purchase.id, true))!;
        if (row.state !== 'pending') {
          // Credited before (a repeated update, or a duplicate that won the race): nothing moves.
          if (row.telegram_payment_charge_id === p.telegramPaymentChargeId) return false;
          return 'paid-twice' as const;
        }
        await markPaid(q, row.id, p.telegramPaymentChargeId);
        await creditPurchase(q, row, p.telegramPaymentChargeId);
        return true;
      })
      .catch((err) => {
        // The charge id's unique constraint: another purchase has this charge.
        if ((err as { code?: string }).code === '23505')
          throw conflict('this charge was already credited to another invoice', 'stars_charge_used');
        throw err;
      });
    if (credited === 'paid-twice') {
      // The invoice was paid twice (two pre-checkouts passed before either payment): this second charge is
      // confirmed as the user's, for this invoice, and is never credited, so the Stars go back to the user
      // rather than being lost.
      try {
        await this.telegram.refundStarPayment(Number(p.telegramUserId), p.telegramPaymentChargeId);
      } catch (err) {
        // Not refunded yet: a 502, so the bot reports it again (a 4xx it would not).
        if (!(err instanceof TelegramError && /CHARGE_ALREADY_REFUNDED/i.test(err.description)))
          throw telegramUnavailable(err);
      }
      throw conflict(
        'this invoice was already paid with another charge; nothing was credited, and this charge was refunded',
        'stars_payload_used',
      );
    }
    return {
      credited,
      purchase: await this.view(purchase.user_id, purchase.id),
      starsNano: (await balanceOf(this.db, starsAccount(purchase.user_id))).toString(),
    };
  }

  /** The bot's report must name an invoice of this user, for its amount. */
  private checkReport(
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
      throw forbidden(
        `this invoice was made for another user, not ${p.telegramUserId}; nothing was credited`,
      );
    if (p.totalAmount !== purchase.stars)
      throw new HttpError(
        400,
        'stars_amount_mismatch',
        `the payment is ${p.totalAmount} Stars but the invoice is for ${purchase.stars} Stars; nothing was credited`,
      );
  }

  /** Telegram's own record of the charge must match the report exactly, and not be refunded. */
  private async confirmPayment(p: {
    telegramUserId: string;
    payload: string;
    totalAmount: number;
    telegramPaymentChargeId: string;
  }): Promise<void> {
    const record = await this.findCharge(p.telegramPaymentChargeId);
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

  private async findCharge(chargeId: string) {
    try {
      return await this.telegram.findCharge(chargeId);
    } catch (err) {
      throw telegramUnavailable(err);
    }
  }

  /**
   * The bot's refunded_payment: Telegram reversed a charge on its own. Confirmed with Telegram, then the
   * credit is debited; what of it was spent becomes what the user owes (new jobs refused until settled).
   * Repeats move nothing.
   */
  async reversal(p: { telegramUserId: string; telegramPaymentChargeId: string }) {
    const record = await this.findCharge(p.telegramPaymentChargeId);
    const refund = record.refund;
    if (!refund || String(refund.receiver.user.id) !== p.telegramUserId)
      throw new HttpError(
        409,
        'stars_unconfirmed',
        `Telegram shows no refund of charge ${p.telegramPaymentChargeId} to user ${p.telegramUserId}; nothing moved`,
      );
    // A payment never reported here is found by its payload: that invoice ends reversed, with nothing to debit.
    const purchase =
      (await purchaseByCharge(this.db, p.telegramPaymentChargeId)) ??
      (refund.receiver.invoice_payload
        ? await purchaseByPayload(this.db, refund.receiver.invoice_payload)
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
    await this.db.tx(async (q) => {
      const row = (await purchaseById(q, purchase.id, true))!;
      if (row.state === 'refunded' || row.state === 'reversed') return;
      if (row.state === 'pending') {
        await markEnded(q, row.id, 'reversed', p.telegramPaymentChargeId);
        return;
      }
      await debitPurchase(q, row, 'stars-reversal', 'receivable');
      await markEnded(q, row.id, 'reversed');
    });
    return { purchase: await this.view(purchase.user_id, purchase.id) };
  }

  /**
   * The buyer asks for a refund: within the window, of a wholly unspent purchase. The credit is taken first,
   * then Telegram refunds the charge; if Telegram refuses, the credit is given back.
   */
  async refund(userId: string, purchaseId: string) {
    const purchase = await purchaseById(this.db, purchaseId);
    if (!purchase || purchase.user_id !== userId) throw notFound('no such purchase of yours');
    return this.refundCharge(purchase, async (q, row) => {
      const problem = notRefundable(this.config, await allocate(q, row.user_id, true), row);
      if (problem) throw conflict(problem, 'stars_not_refundable');
    });
  }

  /** The operator refunds any paid charge; what of it was spent is the operator's loss. */
  async adminRefund(chargeId: string) {
    const purchase = await purchaseByCharge(this.db, chargeId);
    if (!purchase) throw notFound(`no purchase has charge ${chargeId}`);
    return this.refundCharge(purchase, async (q, row) => {
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

  private async refundCharge(
    purchase: PurchaseRow,
    check: (q: Queryable, row: PurchaseRow) => Promise<void>,
  ): Promise<{ purchase: StarsPurchaseView }> {
    const attempt = `:${randomUUID()}`;
    const taken = await this.db.tx(async (q) => {
      const row = (await purchaseById(q, purchase.id, true))!;
      if (row.state !== 'paid')
        throw conflict(
          row.state === 'pending' ? 'this purchase was never paid' : `this purchase was already ${row.state}`,
          'stars_not_refundable',
        );
      await check(q, row);
      const debited = await debitPurchase(q, row, 'stars-refund', 'operator', attempt);
      await markEnded(q, row.id, 'refunded');
      return debited;
    });
    try {
      await this.telegram.refundStarPayment(Number(purchase.user_id), purchase.telegram_payment_charge_id!);
    } catch (err) {
      // Refunded already (by Telegram or another call): the debit stands. Otherwise the credit goes back,
      // unless Telegram's records show the refund anyway (a timeout or a lost answer after Telegram made it:
      // undoing then would leave the buyer both the Stars and the credit).
      const refunded =
        (err instanceof TelegramError && /CHARGE_ALREADY_REFUNDED/i.test(err.description)) ||
        (await this.telegram.findCharge(purchase.telegram_payment_charge_id!).then(
          (r) => r.refund !== null,
          () => false,
        ));
      if (!refunded) {
        await this.db.tx(async (q) => {
          await purchaseById(q, purchase.id, true);
          await undoRefund(q, purchase, attempt, taken);
          await markEnded(q, purchase.id, 'paid');
        });
        throw telegramUnavailable(err);
      }
    }
    return { purchase: await this.view(purchase.user_id, purchase.id) };
  }

  async purchases(userId: string): Promise<StarsPurchaseView[]> {
    const allocated = await allocate(this.db, userId, false);
    return (await purchasesOf(this.db, userId)).map((row) => purchaseView(this.config, row, allocated));
  }

  async view(userId: string, purchaseId: string): Promise<StarsPurchaseView> {
    const allocated = await allocate(this.db, userId, false);
    return purchaseView(this.config, (await purchaseById(this.db, purchaseId))!, allocated);
  }

  /** Periodic upkeep: held rig earnings whose time has come become withdrawable. */
  async sweep(): Promise<void> {
    await releaseDueEarnings(this.db);
  }
}

function tooManyInvoices(): HttpError {
  return new HttpError(
    429,
    'stars_too_many_invoices',
    `you have ${MAX_OPEN_INVOICES} unpaid invoices open; pay one or wait for them to expire (${STARS_INVOICE_TTL_MS / 3600_000} h)`,
  );
}

function telegramUnavailable(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const why = err instanceof TelegramError ? err.description : (err as Error).message;
  return new HttpError(502, 'telegram_unavailable', `Telegram could not be asked (${why}); try again`);
}
