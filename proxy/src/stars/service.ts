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
  clearRefunding,
  insertPurchase,
  lockBuyer,
  lockStarsBalances,
  markCheckedOut,
  markEnded,
  markPaid,
  markRefunding,
  oldestPendingSince,
  openInvoiceCount,
  type PurchaseRow,
  pendingByPayloads,
  purchaseByCharge,
  purchaseById,
  purchaseByPayload,
  purchaseExpired,
  purchasesOf,
  refundMarkerOf,
  starsHeldByOpenJobs,
  starsPaidToday,
  unfinishedRefunds,
} from './repository';
import { TelegramError, type TelegramStarsApi } from './telegram';

/** How long an invoice's payload can be paid. */
export const STARS_INVOICE_TTL_MS = 24 * 3600_000;
/** How often the reconcile pass runs (StarsService.reconcile). */
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
    const credited = await this.creditCharge(purchase.id, p.telegramPaymentChargeId);
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

  /**
   * Credits a confirmed charge to its pending purchase, once: false when this charge was credited before,
   * 'paid-twice' when the purchase was paid with another charge. The bot's report and the reconcile pass
   * both credit through here (the charge id's unique constraint backs the row lock).
   */
  private async creditCharge(purchaseId: string, chargeId: string): Promise<boolean | 'paid-twice'> {
    return this.db
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
    // The debit and the refund marker in one transaction, before Telegram is asked: a proxy stopped before
    // Telegram's answer leaves the marker, and the reconcile pass finishes the refund.
    await this.db.tx(async (q) => {
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
    await this.askRefund(purchase, attempt);
    return { purchase: await this.view(purchase.user_id, purchase.id) };
  }

  /**
   * Asks Telegram to refund a charge whose credit refundCharge took (marker `attempt`), and settles the
   * marker: refunded when Telegram made it or made it before; otherwise the credit goes back (a 502),
   * unless Telegram's records show the refund anyway (a timeout or a lost answer after Telegram made it:
   * undoing then would leave the buyer both the Stars and the credit). When those records can't be read
   * either, the marker stays and the reconcile pass decides later.
   */
  private async askRefund(purchase: PurchaseRow, attempt: string): Promise<void> {
    const chargeId = purchase.telegram_payment_charge_id!;
    let failure: unknown;
    try {
      await this.telegram.refundStarPayment(Number(purchase.user_id), chargeId);
    } catch (err) {
      failure = err;
    }
    const refunded =
      failure === undefined ||
      (failure instanceof TelegramError && /CHARGE_ALREADY_REFUNDED/i.test(failure.description)) ||
      (await this.telegram.findCharge(chargeId).then(
        (r) => r.refund !== null,
        () => undefined,
      ));
    if (refunded === undefined) throw telegramUnavailable(failure);
    await this.db.tx(async (q) => {
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

  async purchases(userId: string): Promise<StarsPurchaseView[]> {
    const allocated = await allocate(this.db, userId, false);
    return (await purchasesOf(this.db, userId)).map((row) => purchaseView(this.config, row, allocated));
  }

  async view(userId: string, purchaseId: string): Promise<StarsPurchaseView> {
    const allocated = await allocate(this.db, userId, false);
    return purchaseView(this.config, (await purchaseById(this.db, purchaseId))!, allocated);
  }

  private lastReconcile = Date.now();

  /**
   * Periodic upkeep: held rig earnings whose time has come become withdrawable, and every
   * RECONCILE_EVERY_MS (the first one interval after start) the reconcile pass. A pass that fails (Telegram
   * unreachable) throws to the upkeep loop, which logs it; the next is tried an interval later.
   */
  async sweep(): Promise<void> {
    await releaseDueEarnings(this.db);
    if (Date.now() - this.lastReconcile >= RECONCILE_EVERY_MS) {
      this.lastReconcile = Date.now();
      await this.reconcile();
    }
  }

  /**
   * What the bot's reports and a refund's own answer may have missed. (1) A payment the bot never reported
   * (it gave up retrying while the proxy was down, or crashed after Telegram took the Stars): while invoices
   * wait for a payment, Telegram's newest transactions are read (RECONCILE_PAGES pages at most, none begun
   * after RECONCILE_BUDGET_MS), and each payment of a waiting invoice, by its user, for its amount, and not
   * refunded, is credited as the bot's report would have been (once per charge; a later report answers
   * credited: false). With no invoice waiting, Telegram is not asked. (2) A refund whose marker outlived
   * REFUND_IN_FLIGHT_MS (the proxy stopped between the debit and Telegram's answer): see finishRefund.
   */
  async reconcile(): Promise<{ credited: number; refundsFinished: number }> {
    let credited = 0;
    const since = await oldestPendingSince(this.db, RECONCILE_MARGIN_MS);
    if (since) {
      const deadline = Date.now() + RECONCILE_BUDGET_MS;
      // A minute's slack: Telegram's clock and the database's need not agree.
      const sinceSec = Math.floor(since.getTime() / 1000) - 60;
      const { payments, refunded } = await this.telegram.recentPayments(RECONCILE_PAGES, sinceSec, deadline);
      const paid = payments.filter((t) => t.source.invoice_payload && !refunded.has(t.id));
      const waiting = await pendingByPayloads(this.db, [
        ...new Set(paid.map((t) => t.source.invoice_payload!)),
      ]);
      for (const row of waiting) {
        const pay = paid.find(
          (t) =>
            t.source.invoice_payload === row.payload &&
            String(t.source.user.id) === row.user_id &&
            t.amount === row.stars,
        );
        if (!pay) continue;
        const done = await this.creditCharge(row.id, pay.id).catch((err) => {
          // Another purchase has this charge (its unique id): not this one's.
          if (err instanceof HttpError && err.code === 'stars_charge_used') return false;
          throw err;
        });
        if (done === true) credited++;
      }
    }
    let refundsFinished = 0;
    for (const row of await unfinishedRefunds(this.db, REFUND_IN_FLIGHT_MS, RECONCILE_REFUNDS)) {
      if (await this.finishRefund(row)) refundsFinished++;
    }
    return { credited, refundsFinished };
  }

  /**
   * A refund interrupted after its debit: long enough ago that no call of it is in flight. Telegram shows
   * the refund: it stands. Telegram shows none: it is asked again rather than the credit given back. The
   * buyer asked for it and passed the checks when the credit was taken, and Telegram refunds a charge once
   * (CHARGE_ALREADY_REFUNDED), so asking again can't return the Stars twice; giving the credit back instead
   * would leave the buyer both were the first call's refund made after all. If Telegram then refuses and its
   * records still show no refund, the credit goes back (askRefund), as when it refuses at once.
   */
  private async finishRefund(row: PurchaseRow): Promise<boolean> {
    const marker = await refundMarkerOf(this.db, row.id);
    if (!marker) return false;
    const record = await this.telegram.findCharge(row.telegram_payment_charge_id!);
    if (record.refund) {
      await this.db.tx(async (q) => {
        if ((await refundMarkerOf(q, row.id))?.attempt === marker.attempt) await clearRefunding(q, row.id);
      });
      return true;
    }
    // Refused with Telegram unreadable: the marker stays for the next pass.
    await this.askRefund(row, marker.attempt).catch(() => undefined);
    return !(await refundMarkerOf(this.db, row.id));
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
