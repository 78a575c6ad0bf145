// The Stars reconcile pass (reconcile.ts) on a real proxy on PGlite with Telegram played by the fake
// server: a payment the bot never reported is credited once from Telegram's own records, and a refund cut
// off between its debit and Telegram's answer (the proxy stopped) ends in one consistent state. The pass runs
// here on a second StarsService over the same database: the proxy after a restart.
import { type CocoonClient, createCocoonClient } from '@cocoon/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEV_BOT_TOKEN } from '../config';
import { ledgerTotals } from '../ledger/ledger';
import { type FakeTelegram, startFakeTelegram } from '../testing/fake-telegram';
import { userClient } from '../testing/harness';
import { useTestBed } from '../testing/test-bed';
import { StarsService } from './service';
import { TelegramStarsApi } from './telegram';

const RATE = 1_000_000n;
const bed = useTestBed({ TRIAL_CREDIT_NANO: '0', STARS_NANOTON_PER_STAR: `${RATE}` });
let tg: FakeTelegram;
let bot: CocoonClient;

beforeEach(async () => {
  tg = await startFakeTelegram(DEV_BOT_TOKEN);
});
afterEach(async () => tg?.close());

async function start() {
  const proxy = await bed.start({ TELEGRAM_API_ROOT: tg.url });
  bot = createCocoonClient({
    baseUrl: proxy.url,
    auth: { kind: 'service', key: proxy.ctx.config.SERVICE_KEY },
  });
  return proxy;
}

/** A StarsService on the same database, Telegram reached through `fetchImpl`. */
function service(proxy: Awaited<ReturnType<typeof start>>, fetchImpl: typeof fetch = fetch) {
  return new StarsService(bed.db, proxy.ctx.config, new TelegramStarsApi(tg.url, DEV_BOT_TOKEN, fetchImpl));
}

/** An invoice that passed pre-checkout: what the bot reports for it once paid. */
async function checkedOut(user: CocoonClient, userId: number, stars: number) {
  const invoice = await user.createStarsInvoice({ stars });
  const report = {
    telegramUserId: `${userId}`,
    payload: invoice.payload,
    currency: 'XTR',
    totalAmount: stars,
  };
  expect(await bot.starsPreCheckout(report)).toEqual({ ok: true });
  return { invoice, report };
}

describe('the reconcile pass', () => {
  it('credits a payment the bot never reported, once; a late report credits nothing', async () => {
    const proxy = await start();
    const alice = userClient(proxy, 9101);
    const bob = userClient(proxy, 9102);
    const { invoice, report } = await checkedOut(alice, 9101, 50);
    const bobs = await checkedOut(bob, 9102, 250);
    const bobsOther = await checkedOut(bob, 9102, 50);
    // Telegram took alice's Stars; the bot's report never came.
    const chargeId = tg.pay(9101, invoice.payload, 50);
    // Bob's invoice paid by alice, and bob's other invoice paid with the wrong amount: neither is credited.
    tg.pay(9101, bobs.invoice.payload, 250);
    tg.pay(9102, bobsOther.invoice.payload, 49);

    const pass = service(proxy);
    expect(await pass.reconcile()).toEqual({ credited: 1, refundsFinished: 0 });
    expect((await alice.me()).starsNano).toBe(`${50n * RATE}`);
    expect((await alice.starsPurchases()).purchases[0]).toMatchObject({ state: 'paid', stars: 50 });
    // Again: nothing more.
    expect(await pass.reconcile()).toEqual({ credited: 0, refundsFinished: 0 });
    // The bot's report arrives at last: credited before, nothing moves.
    const late = await bot.starsPayment({ ...report, telegramPaymentChargeId: chargeId });
    expect(late.credited).toBe(false);
    expect((await alice.me()).starsNano).toBe(`${50n * RATE}`);
    expect((await bob.me()).starsNano ?? '0').toBe('0');
    expect((await bob.starsPurchases()).purchases.map((p) => p.state)).toEqual(['pending', 'pending']);
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });

  it('does not credit a payment Telegram has refunded', async () => {
    const proxy = await start();
    const alice = userClient(proxy, 9201);
    const { invoice } = await checkedOut(alice, 9201, 50);
    tg.reverse(tg.pay(9201, invoice.payload, 50));
    expect(await service(proxy).reconcile()).toEqual({ credited: 0, refundsFinished: 0 });
    expect((await alice.me()).starsNano ?? '0').toBe('0');
  });

  it('asks Telegram nothing when no invoice waits for a payment', async () => {
    const proxy = await start();
    const alice = userClient(proxy, 9301);
    const pass = service(proxy);
    expect(await pass.reconcile()).toEqual({ credited: 0, refundsFinished: 0 });
    // An invoice that expired long ago is not waited for.
    const { invoice } = await checkedOut(alice, 9301, 50);
    await bed.db.query(
      `UPDATE stars_purchases SET created_at = now() - interval '3 days', expires_at = now() - interval '2 days'
       WHERE payload = $1`,
      [invoice.payload],
    );
    expect(await pass.reconcile()).toEqual({ credited: 0, refundsFinished: 0 });
    expect(tg.calls).toEqual([]);
    // A fresh one is.
    await alice.createStarsInvoice({ stars: 50 });
    await pass.reconcile();
    expect(tg.calls).toContain('getStarTransactions');
  });
});

describe('a refund cut off before Telegram answered', () => {
  /**
   * Alice buys 50 Stars and asks for a refund on a proxy that stops while refundStarPayment is in flight:
   * after Telegram made the refund (`reached`: true) or before the call left (false). An hour later the
   * restarted proxy's reconcile pass finishes it.
   */
  async function interrupted(userId: number, reached: boolean) {
    const proxy = await start();
    const alice = userClient(proxy, userId);
    const { invoice, report } = await checkedOut(alice, userId, 50);
    const chargeId = tg.pay(userId, invoice.payload, 50);
    const bought = await bot.starsPayment({ ...report, telegramPaymentChargeId: chargeId });
    let stopped!: () => void;
    const atCall = new Promise<void>((resolve) => {
      stopped = resolve;
    });
    const crashing: typeof fetch = async (url, init) => {
      if (!String(url).endsWith('/refundStarPayment')) return fetch(url, init);
      if (reached) await fetch(url, init);
      stopped();
      return new Promise<Response>(() => {}); // the process is gone: no answer ever comes
    };
    void service(proxy, crashing).refund(`${userId}`, bought.purchase.id);
    await atCall;
    // The debit is written, the answer never came: the purchase shows refunded, its credit taken.
    expect((await alice.me()).starsNano ?? '0').toBe('0');
    await bed.db.query(
      `UPDATE stars_purchases SET refund_started_at = refund_started_at - interval '1 hour' WHERE id = $1`,
      [bought.purchase.id],
    );
    return { proxy, alice, chargeId, purchaseId: bought.purchase.id };
  }

  async function refundsOf(chargeId: string) {
    const record = await new TelegramStarsApi(tg.url, DEV_BOT_TOKEN).findCharge(chargeId);
    return {
      refunded: record.refund !== null,
      calls: tg.calls.filter((c) => c === 'refundStarPayment').length,
    };
  }

  /** The pass finishes the refund once: Telegram refunded the charge once, the credit stays taken. */
  async function finishedOnce(
    proxy: Awaited<ReturnType<typeof start>>,
    alice: CocoonClient,
    chargeId: string,
  ) {
    const pass = service(proxy);
    expect(await pass.reconcile()).toEqual({ credited: 0, refundsFinished: 1 });
    expect(await pass.reconcile()).toEqual({ credited: 0, refundsFinished: 0 });
    expect(await refundsOf(chargeId)).toEqual({ refunded: true, calls: 1 });
    expect((await alice.me()).starsNano ?? '0').toBe('0');
    expect((await alice.starsPurchases()).purchases[0].state).toBe('refunded');
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  }

  it('Telegram made the refund: it stands, the credit stays taken, Telegram is not asked again', async () => {
    const { proxy, alice, chargeId } = await interrupted(9401, true);
    await finishedOnce(proxy, alice, chargeId);
  });

  it('Telegram never got the call: the refund is asked again and made once', async () => {
    const { proxy, alice, chargeId } = await interrupted(9501, false);
    expect(await refundsOf(chargeId)).toEqual({ refunded: false, calls: 0 });
    await finishedOnce(proxy, alice, chargeId);
  });

  it('Telegram refuses the refund asked again: the credit comes back, the purchase is paid', async () => {
    const { proxy, alice, chargeId, purchaseId } = await interrupted(9601, false);
    tg.failRefunds = true;
    const pass = service(proxy);
    expect(await pass.reconcile()).toEqual({ credited: 0, refundsFinished: 1 });
    expect(await refundsOf(chargeId)).toMatchObject({ refunded: false });
    expect((await alice.me()).starsNano).toBe(`${50n * RATE}`);
    expect((await alice.starsPurchases()).purchases[0].state).toBe('paid');
    // The buyer may ask again once Telegram is back.
    tg.failRefunds = false;
    expect((await alice.refundStarsPurchase(purchaseId)).purchase.state).toBe('refunded');
    expect((await alice.me()).starsNano ?? '0').toBe('0');
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });
});
