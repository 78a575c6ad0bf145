// Telegram Stars end to end on the proxy: a real proxy on PGlite, real sealed jobs on a protocol-real test
// rig, the bot's reports through the service key, and Telegram played by a small real HTTP server that keeps
// Telegram's records (testing/fake-telegram.ts says why it is not the emulator yet). Every bad input is
// refused with its reason and moves nothing in the ledger.
import { randomBytes } from 'node:crypto';
import { ApiError, type CocoonClient, createCocoonClient } from '@cocoon/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { refundUnvouched } from '../audits/consequences';
import { DEV_BOT_TOKEN } from '../config';
import { balanceOf, ledgerTotals, starsHeldAccount } from '../ledger/ledger';
import { type FakeTelegram, startFakeTelegram } from '../testing/fake-telegram';
import { userClient } from '../testing/harness';
import { onchainUser } from '../testing/onchain-users';
import { useTestBed } from '../testing/test-bed';
import { releaseDueEarnings } from './earnings';

const RATE = 1_000_000n; // nanoTON per Star
const ASK = 1_000_000n; // per 1,000 tokens
const bed = useTestBed({
  TRIAL_CREDIT_NANO: '0',
  STARS_NANOTON_PER_STAR: `${RATE}`,
  STARS_DAILY_CAP: '1200',
});
let tg: FakeTelegram;
let bot: CocoonClient;

// The test proxy runs in local mode with the dev bot token: the fake answers that token only, as Telegram
// answers a bot's own.
beforeEach(async () => {
  tg = await startFakeTelegram(DEV_BOT_TOKEN);
});
afterEach(async () => tg?.close());

async function start(env: Record<string, string> = {}) {
  const proxy = await bed.start({ TELEGRAM_API_ROOT: tg.url, ...env });
  expect(proxy.ctx.config.BOT_TOKEN).toBe(DEV_BOT_TOKEN);
  bot = createCocoonClient({
    baseUrl: proxy.url,
    auth: { kind: 'service', key: proxy.ctx.config.SERVICE_KEY },
  });
  return proxy;
}

async function refused(p: Promise<unknown>, status: number, code?: string): Promise<ApiError> {
  const err = await p.then(
    () => new Error('expected a refusal'),
    (e) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).status).toBe(status);
  if (code) expect((err as ApiError).code).toBe(code);
  return err as ApiError;
}

/** The ledger's postings so far: a refusal must leave it as it was. */
async function postings(): Promise<number> {
  return (await bed.db.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_tx')).rows[0].n;
}

/** A user buys `stars` through the bot: invoice, pre-checkout, Telegram's charge, the bot's report. */
async function buy(user: CocoonClient, userId: number, stars: number) {
  const invoice = await user.createStarsInvoice({ stars });
  const report = {
    telegramUserId: `${userId}`,
    payload: invoice.payload,
    currency: 'XTR',
    totalAmount: stars,
  };
  expect(await bot.starsPreCheckout(report)).toEqual({ ok: true });
  const chargeId = tg.pay(userId, invoice.payload, stars);
  const paid = await bot.starsPayment({ ...report, telegramPaymentChargeId: chargeId });
  expect(paid.credited).toBe(true);
  return { invoice, chargeId, report, paid };
}

async function runJob(user: CocoonClient) {
  return user.runJob({
    model: 'test-echo',
    body: { kind: 'generate', prompt: 'one two three', maxTokens: 40 },
  });
}

describe('buying compute with Stars', () => {
  it('credits a charge Telegram confirms, once; the credit is its own balance, not withdrawable', async () => {
    const proxy = await start();
    const alice = userClient(proxy, 7001);
    const offer = await alice.starsOffer();
    expect(offer).toMatchObject({ rateNanoPerStar: `${RATE}`, dailyCapStars: 1200 });
    expect(offer.packs).toEqual([
      { stars: 50, nano: `${50n * RATE}` },
      { stars: 250, nano: `${250n * RATE}` },
      { stars: 1000, nano: `${1000n * RATE}` },
    ]);
    // The Mini App asks for a link: the proxy makes it with its own token.
    const linked = await alice.createStarsInvoice({ stars: 250, link: true });
    expect(linked.invoiceLink).toMatch(/^https:\/\/t\.me\/\$invoice-/);
    expect(Buffer.byteLength(linked.payload)).toBeLessThanOrEqual(128);

    const { chargeId, report, paid } = await buy(alice, 7001, 50);
    expect(paid.starsNano).toBe(`${50n * RATE}`);
    expect(paid.purchase).toMatchObject({
      state: 'paid',
      stars: 50,
      rateNanoPerStar: `${RATE}`,
      refundable: true,
    });
    const me = await alice.me();
    expect(me).toMatchObject({ starsNano: `${50n * RATE}`, withdrawableNano: '0', balanceNano: '0' });
    // The same update again: nothing more.
    const again = await bot.starsPayment({ ...report, telegramPaymentChargeId: chargeId });
    expect(again.credited).toBe(false);
    expect((await alice.me()).starsNano).toBe(`${50n * RATE}`);
    // The history shows the purchase as a Stars entry.
    const { entries } = await alice.ledger();
    expect(entries.find((e) => e.kind === 'stars-purchase')).toMatchObject({
      stars: true,
      amountNano: `${50n * RATE}`,
    });
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });

  it('refuses each bad input with its reason, and nothing moves', async () => {
    const proxy = await start();
    const alice = userClient(proxy, 7101);
    const bob = userClient(proxy, 7102);
    const mine = await alice.createStarsInvoice({ stars: 250 });
    await bob.me();
    const base = { telegramUserId: '7101', payload: mine.payload, currency: 'XTR', totalAmount: 250 };
    const before = await postings();

    // Pre-checkout: each refusal is what Telegram shows the user.
    const no = async (body: typeof base, reason: RegExp) => {
      const a = await bot.starsPreCheckout(body);
      expect(a.ok).toBe(false);
      expect(a.ok === false && a.reason).toMatch(reason);
    };
    await no({ ...base, payload: 'cs_forged-payload-nobody-issued' }, /not issued by Cocoon/);
    await no({ ...base, telegramUserId: '7102' }, /made for another user/);
    await no({ ...base, totalAmount: 50 }, /does not match this invoice/);
    await no({ ...base, currency: 'USD' }, /paid in Stars \(XTR\)/);
    await no({ ...base, telegramUserId: '7999' }, /unknown user/);
    await refused(alice.createStarsInvoice({ stars: 77 }), 400, 'stars_pack_unknown');

    // Payments: a forged payload, another user's, a wrong amount, a charge Telegram doesn't know or that
    // another user paid.
    const forgedCharge = tg.pay(7101, 'cs_forged', 250);
    await refused(
      bot.starsPayment({ ...base, payload: 'cs_forged', telegramPaymentChargeId: forgedCharge }),
      404,
      'stars_payload_unknown',
    );
    const bobsCharge = tg.pay(7102, mine.payload, 250);
    await refused(
      bot.starsPayment({ ...base, telegramUserId: '7102', telegramPaymentChargeId: bobsCharge }),
      403,
    );
    await refused(
      bot.starsPayment({ ...base, totalAmount: 50, telegramPaymentChargeId: bobsCharge }),
      400,
      'stars_amount_mismatch',
    );
    await refused(
      bot.starsPayment({ ...base, telegramPaymentChargeId: 'stxNOSUCHCHARGE' }),
      409,
      'stars_unconfirmed',
    );
    const e = await refused(
      bot.starsPayment({ ...base, telegramPaymentChargeId: bobsCharge }),
      409,
      'stars_unconfirmed',
    );
    expect(e.message).toMatch(/paid by another user/);
    // Telegram's record says 50 Stars: the report of 250 is not confirmed.
    const cheap = tg.pay(7101, mine.payload, 50);
    expect(
      (await refused(bot.starsPayment({ ...base, telegramPaymentChargeId: cheap }), 409, 'stars_unconfirmed'))
        .message,
    ).toMatch(/for 50 Stars/);
    // Only the bot's key may report: not a user.
    await refused(alice.starsPayment({ ...base, telegramPaymentChargeId: 'x' }), 403);
    expect(await postings()).toBe(before);
    expect((await alice.me()).starsNano).toBe('0');

    // Paid: the payload is used; a second charge for it is refused, as is its pre-checkout.
    const charge = tg.pay(7101, mine.payload, 250);
    expect((await bot.starsPayment({ ...base, telegramPaymentChargeId: charge })).credited).toBe(true);
    const after = await postings();
    await no(base, /already paid/);
    const replay = tg.pay(7101, mine.payload, 250);
    await refused(bot.starsPayment({ ...base, telegramPaymentChargeId: replay }), 409, 'stars_payload_used');
    // A refund of someone else's purchase: not found for them.
    const [purchase] = (await alice.starsPurchases()).purchases;
    await refused(bob.refundStarsPurchase(purchase.id), 404);
    expect(await postings()).toBe(after);
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });

  it('keeps the daily cap at invoice and pre-checkout time', async () => {
    const proxy = await start();
    const alice = userClient(proxy, 7201);
    const late = await alice.createStarsInvoice({ stars: 250 });
    await buy(alice, 7201, 1000);
    await buy(alice, 7201, 50);
    // 1,050 paid today: another 250 would pass 1,200.
    await refused(alice.createStarsInvoice({ stars: 250 }), 403, 'stars_daily_cap');
    const a = await bot.starsPreCheckout({
      telegramUserId: '7201',
      payload: late.payload,
      currency: 'XTR',
      totalAmount: 250,
    });
    expect(a.ok === false && a.reason).toMatch(/daily limit of 1200 Stars/);
  });

  it('credits exactly once under concurrent duplicate reports', async () => {
    const proxy = await start();
    const alice = userClient(proxy, 7301);
    const invoice = await alice.createStarsInvoice({ stars: 250 });
    const chargeId = tg.pay(7301, invoice.payload, 250);
    const report = {
      telegramUserId: '7301',
      payload: invoice.payload,
      currency: 'XTR',
      totalAmount: 250,
      telegramPaymentChargeId: chargeId,
    };
    const answers = await Promise.all(Array.from({ length: 8 }, () => bot.starsPayment(report)));
    expect(answers.filter((a) => a.credited)).toHaveLength(1);
    expect((await alice.me()).starsNano).toBe(`${250n * RATE}`);
    const credits = await bed.db.query("SELECT 1 FROM ledger_tx WHERE kind = 'stars-purchase'");
    expect(credits.rows).toHaveLength(1);
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });
});

describe('spending and refunds', () => {
  it('pays jobs from Stars credit; refunds a wholly unspent purchase only, within the window', async () => {
    const proxy = await start();
    await bed.rig(7402, ASK);
    const alice = userClient(proxy, 7401);
    const first = await buy(alice, 7401, 50);
    const second = await buy(alice, 7401, 250);

    // The unspent newer purchase can be refunded; Telegram gets refundStarPayment with the proxy's token.
    const refunded = await alice.refundStarsPurchase(second.paid.purchase.id);
    expect(refunded.purchase).toMatchObject({ state: 'refunded', refundable: false });
    expect(tg.calls).toContain('refundStarPayment');
    expect((await alice.me()).starsNano).toBe(`${50n * RATE}`);
    await refused(alice.refundStarsPurchase(second.paid.purchase.id), 409, 'stars_not_refundable');

    // A job spends part of the first: it can't be refunded any more (Telegram refunds whole charges).
    const job = await runJob(alice);
    expect(job.costNano).toBeGreaterThan(0n);
    const me = await alice.me();
    expect(BigInt(me.starsNano!)).toBe(50n * RATE - job.costNano);
    const before = await postings();
    const spent = await refused(
      alice.refundStarsPurchase(first.paid.purchase.id),
      409,
      'stars_not_refundable',
    );
    expect(spent.message).toMatch(/only whole charges/);
    const [view] = (await alice.starsPurchases()).purchases.filter((p) => p.id === first.paid.purchase.id);
    expect(view).toMatchObject({ refundable: false, spentNano: `${job.costNano}` });
    expect(await postings()).toBe(before);

    // Past the window: refused, with when it ended.
    const third = await buy(alice, 7401, 50);
    await bed.db.query("UPDATE stars_purchases SET paid_at = paid_at - interval '8 days' WHERE id = $1", [
      third.paid.purchase.id,
    ]);
    expect(
      (await refused(alice.refundStarsPurchase(third.paid.purchase.id), 409, 'stars_not_refundable')).message,
    ).toMatch(/refund window ended/);
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });

  it('gives the credit back when Telegram refuses the refund', async () => {
    const proxy = await start();
    const alice = userClient(proxy, 7501);
    const { paid } = await buy(alice, 7501, 50);
    tg.failRefunds = true;
    await refused(alice.refundStarsPurchase(paid.purchase.id), 502, 'telegram_unavailable');
    expect((await alice.me()).starsNano).toBe(`${50n * RATE}`);
    expect((await alice.starsPurchases()).purchases[0]).toMatchObject({ state: 'paid', refundable: true });
    tg.failRefunds = false;
    expect((await alice.refundStarsPurchase(paid.purchase.id)).purchase.state).toBe('refunded');
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });

  it('a reversal after spending leaves a receivable: jobs refused until a purchase settles it', async () => {
    const proxy = await start();
    await bed.rig(7602, ASK);
    const alice = userClient(proxy, 7601);
    const { chargeId } = await buy(alice, 7601, 50);
    const job = await runJob(alice);

    // The bot reports a reversal Telegram has not made: refused, nothing moves.
    const before = await postings();
    await refused(
      bot.starsReversal({ telegramUserId: '7601', telegramPaymentChargeId: chargeId }),
      409,
      'stars_unconfirmed',
    );
    expect(await postings()).toBe(before);

    tg.reverse(chargeId);
    const r = await bot.starsReversal({ telegramUserId: '7601', telegramPaymentChargeId: chargeId });
    expect(r.purchase.state).toBe('reversed');
    // A repeat moves nothing.
    await bot.starsReversal({ telegramUserId: '7601', telegramPaymentChargeId: chargeId });
    expect(await alice.me()).toMatchObject({ starsNano: '0', receivableNano: `${job.costNano}` });
    await refused(runJob(alice), 402, 'stars_receivable');

    // The next purchase settles it first; the rest is credit, and jobs run again.
    await buy(alice, 7601, 50);
    expect(await alice.me()).toMatchObject({
      starsNano: `${50n * RATE - job.costNano}`,
      receivableNano: '0',
    });
    await runJob(alice);
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
    const negative = await bed.db.query(
      "SELECT id FROM accounts WHERE balance < 0 AND NOT id LIKE 'system:%'",
    );
    expect(negative.rows).toEqual([]);
  });

  it('lets the operator refund a spent charge (its loss, no receivable)', async () => {
    const proxy = await start();
    await bed.rig(7702, ASK);
    const alice = userClient(proxy, 7701);
    const { chargeId } = await buy(alice, 7701, 50);
    const job = await runJob(alice);
    const admin = createCocoonClient({
      baseUrl: proxy.url,
      auth: { kind: 'admin', key: proxy.ctx.config.ADMIN_KEY! },
    });
    await refused(admin.adminRefundStars('stxNOSUCH'), 404);
    const r = await admin.adminRefundStars(chargeId);
    expect(r.purchase.state).toBe('refunded');
    expect(await alice.me()).toMatchObject({ starsNano: '0', receivableNano: '0' });
    const loss = await bed.db.query<{ b: string }>(
      "SELECT balance::text AS b FROM accounts WHERE id = 'system:stars_refund_shortfall'",
    );
    expect(loss.rows[0].b).toBe(`${-job.costNano}`);
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });
});

describe('an audit refund of a Stars-paid job', () => {
  it("gives the user Stars credit back and takes the rig's share from its still-held earnings", async () => {
    const proxy = await start({ AUDIT_PENALTY_NANO: '0' });
    const rig = await bed.rig(7952, ASK);
    const alice = userClient(proxy, 7951);
    await buy(alice, 7951, 50);
    const job = await runJob(alice);
    expect(BigInt((await alice.me()).starsNano!)).toBe(50n * RATE - job.costNano);
    const [before] = (await rig.owner.rigs()).rigs;
    expect(BigInt(before.heldStarsNano!)).toBeGreaterThan(0n);

    // The rig is proven wrong: the job is refunded in full, into Stars credit.
    await bed.db.tx((q) => refundUnvouched(q, rig.id, '7952', 0n, 'test'));
    expect((await alice.me()).starsNano).toBe(`${50n * RATE}`);
    expect(await balanceOf(bed.db, starsHeldAccount('7952'))).toBe(0n);
    const [after] = (await rig.owner.rigs()).rigs;
    expect(after).toMatchObject({ heldStarsNano: '0', starsReleaseAt: null });
    // Its release, later, moves nothing: the money already went back.
    await bed.db.query("UPDATE stars_earnings_holds SET release_at = now() - interval '1 second'");
    await releaseDueEarnings(bed.db);
    expect((await rig.owner.me()).withdrawableNano).toBe('0');
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });
});

describe('an on-chain account user', () => {
  it('is never asked for a voucher for work paid in Stars', async () => {
    const proxy = await start({ ONCHAIN_ACCOUNTS: 'true' });
    await bed.rig(7902, ASK);
    // No spend key in this client: a voucher due would refuse the next job (409 voucher_due).
    const { client: carol } = await onchainUser(proxy, 7901, 2_000_000_000n, randomBytes(32), false);
    await buy(carol, 7901, 50);
    const first = await runJob(carol);
    const second = await runJob(carol);
    const due = await bed.db.query('SELECT id FROM jobs WHERE voucher_due IS NOT NULL');
    expect(due.rows).toEqual([]);
    expect(BigInt((await carol.me()).starsNano!)).toBe(50n * RATE - first.costNano - second.costNano);
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });
});

describe("rig owners' earnings from Stars-paid jobs", () => {
  it('are held, shown with their release time, and released by the sweeper when the hold is over', async () => {
    const proxy = await start();
    const rig = await bed.rig(7802, ASK);
    const alice = userClient(proxy, 7801);
    await buy(alice, 7801, 50);
    const t0 = Date.now();
    const job = await runJob(alice);
    const earned = BigInt(
      (await bed.db.query<{ r: string }>('SELECT rig_nano::text AS r FROM jobs WHERE id = $1', [job.jobId]))
        .rows[0].r,
    );
    expect(earned).toBeGreaterThan(0n);
    expect((await rig.owner.me()).withdrawableNano).toBe('0');
    const [view] = (await rig.owner.rigs()).rigs;
    expect(view.heldStarsNano).toBe(`${earned}`);
    const releaseAt = new Date(view.starsReleaseAt!).getTime();
    expect(releaseAt).toBeGreaterThanOrEqual(t0 + proxy.ctx.config.STARS_EARNINGS_HOLD_MS - 5_000);

    // The hold is over: the sweeper makes it withdrawable, once.
    await bed.db.query("UPDATE stars_earnings_holds SET release_at = now() - interval '1 second'");
    for (let i = 0; i < 100 && (await rig.owner.me()).withdrawableNano === '0'; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect((await rig.owner.me()).withdrawableNano).toBe(`${earned}`);
    const [after] = (await rig.owner.rigs()).rigs;
    expect(after).toMatchObject({ heldStarsNano: '0', starsReleaseAt: null });
    const releases = await bed.db.query("SELECT 1 FROM ledger_tx WHERE kind = 'stars-release'");
    expect(releases.rows).toHaveLength(1);
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });
});

describe('attacks', () => {
  it("a Sybil's reversed charge does not become its own rig's withdrawable TON: held earnings settle what it owes", async () => {
    const proxy = await start({ AUDIT_PENALTY_NANO: '0' });
    // The rig owner and the buyer are one person with two Telegram accounts.
    const rig = await bed.rig(8002, ASK);
    const sybil = userClient(proxy, 8001);
    const { chargeId } = await buy(sybil, 8001, 50);
    const job = await runJob(sybil);
    const earned = BigInt(
      (await bed.db.query<{ r: string }>('SELECT rig_nano::text AS r FROM jobs WHERE id = $1', [job.jobId]))
        .rows[0].r,
    );
    expect(earned).toBeGreaterThan(0n);
    // Telegram gives the Stars back: the buyer owes the spent part and walks away.
    tg.reverse(chargeId);
    await bot.starsReversal({ telegramUserId: '8001', telegramPaymentChargeId: chargeId });
    expect((await sybil.me()).receivableNano).toBe(`${job.costNano}`);
    // The hold ends: what the rig earned from the reversed credit is not released to its owner.
    await bed.db.query("UPDATE stars_earnings_holds SET release_at = now() - interval '1 second'");
    await releaseDueEarnings(bed.db);
    expect((await rig.owner.me()).withdrawableNano).toBe('0');
    expect(await balanceOf(bed.db, starsHeldAccount('8002'))).toBe(0n);
    // It settled the buyer's debt instead: what is left is the platform's fee.
    expect((await sybil.me()).receivableNano).toBe(`${job.costNano - earned}`);
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });

  it('a second charge for a paid invoice is refunded to the payer, and its reversal never touches the first', async () => {
    const proxy = await start();
    const alice = userClient(proxy, 8101);
    const invoice = await alice.createStarsInvoice({ stars: 50 });
    const report = { telegramUserId: '8101', payload: invoice.payload, currency: 'XTR', totalAmount: 50 };
    // Two pre-checkouts pass at once (the invoice opened twice): Telegram charges twice.
    expect(await bot.starsPreCheckout(report)).toEqual({ ok: true });
    expect(await bot.starsPreCheckout(report)).toEqual({ ok: true });
    const first = tg.pay(8101, invoice.payload, 50);
    const second = tg.pay(8101, invoice.payload, 50);
    expect((await bot.starsPayment({ ...report, telegramPaymentChargeId: first })).credited).toBe(true);
    const e = await refused(
      bot.starsPayment({ ...report, telegramPaymentChargeId: second }),
      409,
      'stars_payload_used',
    );
    expect(e.message).toMatch(/refunded/);
    expect(tg.calls).toContain('refundStarPayment');
    // Telegram's refunded_payment for the second charge: the first purchase stays paid, its credit intact.
    await refused(bot.starsReversal({ telegramUserId: '8101', telegramPaymentChargeId: second }), 404);
    expect((await alice.me()).starsNano).toBe(`${50n * RATE}`);
    expect((await alice.starsPurchases()).purchases[0]).toMatchObject({ state: 'paid', refundable: true });
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });

  it('keeps the refund when Telegram made it but its answer was lost', async () => {
    const proxy = await start();
    const alice = userClient(proxy, 8201);
    const { paid } = await buy(alice, 8201, 50);
    tg.loseRefundAnswers = true;
    // Telegram did refund the Stars (its records say so): the credit must not come back as well.
    expect((await alice.refundStarsPurchase(paid.purchase.id)).purchase.state).toBe('refunded');
    expect((await alice.me()).starsNano).toBe('0');
    expect((await alice.starsPurchases()).purchases[0]).toMatchObject({ state: 'refunded' });
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });

  it("finds a new charge in a busy bot's history, in a few calls (not a scan of everything before it)", async () => {
    const proxy = await start();
    const alice = userClient(proxy, 8301);
    // Telegram lists a bot's transactions oldest first: a new charge comes after 10,050 older ones.
    tg.pad(10_050);
    const { chargeId } = await buy(alice, 8301, 50);
    const before = tg.calls.length;
    const invoice = await alice.createStarsInvoice({ stars: 50 });
    const report = { telegramUserId: '8301', payload: invoice.payload, currency: 'XTR', totalAmount: 50 };
    const charge = tg.pay(8301, invoice.payload, 50);
    expect((await bot.starsPayment({ ...report, telegramPaymentChargeId: charge })).credited).toBe(true);
    expect(tg.calls.length - before).toBeLessThanOrEqual(3);
    // A reversal finds both the payment and its refund.
    tg.reverse(chargeId);
    await bot.starsReversal({ telegramUserId: '8301', telegramPaymentChargeId: chargeId });
    expect((await alice.me()).starsNano).toBe(`${50n * RATE}`);
    // Were Telegram to list newest first, a new charge is still found (the list's head is read too).
    tg.newestFirst = true;
    const third = await alice.createStarsInvoice({ stars: 50 });
    const paidThird = tg.pay(8301, third.payload, 50);
    const thirdReport = { ...report, payload: third.payload, telegramPaymentChargeId: paidThird };
    expect((await bot.starsPayment(thirdReport)).credited).toBe(true);
  });

  it('keeps the daily cap when invoices are checked out together before either is paid', async () => {
    const proxy = await start();
    const alice = userClient(proxy, 8401);
    // Many invoices at once: never more open than the limit, even asked for together.
    const asked = await Promise.allSettled(
      Array.from({ length: 25 }, () => alice.createStarsInvoice({ stars: 1000 })),
    );
    expect(asked.filter((a) => a.status === 'fulfilled')).toHaveLength(20);
    const [a, b] = asked.flatMap((x) => (x.status === 'fulfilled' ? [x.value] : []));
    const check = (payload: string) =>
      bot.starsPreCheckout({ telegramUserId: '8401', payload, currency: 'XTR', totalAmount: 1000 });
    // Both checked out at once (two sheets open): the second would pass the cap of 1200 once both are paid.
    const answers = await Promise.all([check(a.payload), check(b.payload)]);
    expect(answers.filter((x) => x.ok)).toHaveLength(1);
    expect(answers.find((x) => !x.ok)).toMatchObject({ reason: expect.stringMatching(/daily limit/) });
    // The same invoice checked out again (Telegram retries) is not counted twice.
    const ok = answers[0].ok ? a : b;
    expect(await check(ok.payload)).toEqual({ ok: true });
  });

  it('a refund racing a job, or another refund, never both gives the Stars back and keeps the credit', async () => {
    const proxy = await start();
    await bed.rig(8502, ASK);
    const alice = userClient(proxy, 8501);
    const admin = createCocoonClient({
      baseUrl: proxy.url,
      auth: { kind: 'admin', key: proxy.ctx.config.ADMIN_KEY! },
    });
    // Refund and spend at once: one of them wins (no other money pays the job).
    const { paid } = await buy(alice, 8501, 50);
    const [refund, job] = await Promise.allSettled([
      alice.refundStarsPurchase(paid.purchase.id),
      runJob(alice),
    ]);
    expect([refund.status, job.status].filter((s) => s === 'fulfilled')).toHaveLength(1);
    // The buyer's refund and the operator's at once: Telegram is asked once.
    const second = await buy(alice, 8501, 50);
    const calls = tg.calls.filter((c) => c === 'refundStarPayment').length;
    const both = await Promise.allSettled([
      alice.refundStarsPurchase(second.paid.purchase.id),
      admin.adminRefundStars(second.chargeId),
      alice.refundStarsPurchase(second.paid.purchase.id),
    ]);
    expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(tg.calls.filter((c) => c === 'refundStarPayment').length).toBe(calls + 1);
    // Paying the refunded charge again credits nothing.
    await refused(bot.starsPayment({ ...second.report, telegramPaymentChargeId: 'stxNEW' }), 409);
    expect(
      (await bot.starsPayment({ ...second.report, telegramPaymentChargeId: second.chargeId })).credited,
    ).toBe(false);
    const me = await alice.me();
    const spent = job.status === 'fulfilled' ? job.value.costNano : 0n;
    expect(BigInt(me.starsNano!)).toBe(refund.status === 'fulfilled' ? 0n : 50n * RATE - spent);
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });

  it("an operator's refund while a job holds the credit: the hold given back is not free credit", async () => {
    const proxy = await start({ JOB_TIMEOUT_MS: '2000', LEASE_MS: '1000' });
    await bed.rig(8602, ASK, 'silent');
    const alice = userClient(proxy, 8601);
    const admin = createCocoonClient({
      baseUrl: proxy.url,
      auth: { kind: 'admin', key: proxy.ctx.config.ADMIN_KEY! },
    });
    const { chargeId } = await buy(alice, 8601, 50);
    const job = runJob(alice).catch((e) => e);
    for (let i = 0; i < 100 && (await alice.me()).starsNano === `${50n * RATE}`; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(BigInt((await alice.me()).starsNano!)).toBeLessThan(50n * RATE);
    // Refunding now would count the held credit as spent (the operator's loss), and the failed job would
    // give it back: the refunded charge's credit for free. Refused until the job ends.
    await refused(admin.adminRefundStars(chargeId), 409, 'stars_credit_held');
    expect(await job).toBeInstanceOf(Error);
    await admin.adminRefundStars(chargeId);
    expect(await alice.me()).toMatchObject({ starsNano: '0', receivableNano: '0' });
    expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  });
});
