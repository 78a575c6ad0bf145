// Telegram Stars buy compute credit (issue #29). The flows live in purchases.ts (invoices, pre-checkout,
// crediting a confirmed charge once), refunds.ts (the buyer's and the operator's refunds, Telegram's
// reversals) and reconcile.ts (what the bot's reports and a refund's own answer missed); this is the one
// object the routes and the upkeep loop hold. Stars credit (stars:<user>) pays jobs after trial credit and
// before the user's own money (ledger/trial-credit.ts) and is never withdrawable.
import type { StarsOffer, StarsPreCheckoutAnswer, StarsPurchaseView } from '@cocoon/shared';
import type { Db } from '../db';
import type { StarsConfig, StarsDeps } from './context';
import { releaseDueEarnings } from './earnings';
import { allocate, purchaseView } from './purchase-view';
import { createInvoice, payment, preCheckout } from './purchases';
import { RECONCILE_EVERY_MS, reconcile } from './reconcile';
import { adminRefund, refund, reversal } from './refunds';
import { purchasesOf } from './repository';
import type { TelegramStarsApi } from './telegram';

export class StarsService {
  private readonly s: StarsDeps;
  private lastReconcile = Date.now();

  constructor(db: Db, config: StarsConfig, telegram: TelegramStarsApi) {
    this.s = { db, config, telegram };
  }

  offer(): StarsOffer {
    const { config } = this.s;
    const rate = config.STARS_NANOTON_PER_STAR;
    return {
      rateNanoPerStar: rate.toString(),
      packs: config.STARS_PACKS.map((stars) => ({ stars, nano: (BigInt(stars) * rate).toString() })),
      dailyCapStars: config.STARS_DAILY_CAP,
      refundWindowMs: config.STARS_REFUND_WINDOW_MS,
      earningsHoldMs: config.STARS_EARNINGS_HOLD_MS,
    };
  }

  createInvoice(userId: string, stars: number, link: boolean) {
    return createInvoice(this.s, userId, stars, link);
  }

  preCheckout(p: Parameters<typeof preCheckout>[1]): Promise<StarsPreCheckoutAnswer> {
    return preCheckout(this.s, p);
  }

  payment(p: Parameters<typeof payment>[1]) {
    return payment(this.s, p);
  }

  reversal(p: { telegramUserId: string; telegramPaymentChargeId: string }) {
    return reversal(this.s, p);
  }

  refund(userId: string, purchaseId: string) {
    return refund(this.s, userId, purchaseId);
  }

  adminRefund(chargeId: string) {
    return adminRefund(this.s, chargeId);
  }

  async purchases(userId: string): Promise<StarsPurchaseView[]> {
    const allocated = await allocate(this.s.db, userId, false);
    return (await purchasesOf(this.s.db, userId)).map((row) => purchaseView(this.s.config, row, allocated));
  }

  /**
   * Periodic upkeep: held rig earnings whose time has come become withdrawable, and every
   * RECONCILE_EVERY_MS (the first one interval after start) the reconcile pass. A pass that fails (Telegram
   * unreachable) throws to the upkeep loop, which logs it; the next is tried an interval later.
   */
  async sweep(): Promise<void> {
    await releaseDueEarnings(this.s.db);
    if (Date.now() - this.lastReconcile >= RECONCILE_EVERY_MS) {
      this.lastReconcile = Date.now();
      await this.reconcile();
    }
  }

  /** See reconcile.ts. */
  reconcile(): Promise<{ credited: number; refundsFinished: number }> {
    return reconcile(this.s);
  }
}
