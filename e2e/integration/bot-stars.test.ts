// Telegram Stars in the bot end to end: the real grammY bot by long polling against the Bot API emulator
// (which takes the payments: pre-checkout with Telegram's deadline, charges, reversals), the real proxy (which
// confirms each charge with the emulator's getStarTransactions before it credits) and a protocol-real rig.
import { loadBotConfig, type RunningBot, startBot } from '@cocoon/bot';
import { type Emulator, startBotApiEmulator, type TgMessage, type TgUser } from '@cocoon/emulator';
import { payInvoice, reverseCharge, starsBalance } from '@cocoon/emulator/testing';
import type { Db, ProxyServer } from '@cocoon/proxy';
import {
  openTestDb,
  PRODUCTION_SECRETS,
  resetDb,
  startTestProxy,
  startTestWorker,
  type TestWorker,
  userClient,
} from '@cocoon/proxy/testing';
import type { CocoonClient } from '@cocoon/shared';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { catalogueFile, memoryLog, serviceClient } from '../testing/bot-it';

const TOKEN = '7100002:bot-stars-integration-token';
const SECRETS = { ...PRODUCTION_SECRETS, BOT_TOKEN: TOKEN };
const HISTORY_KEY = 'bot-stars-integration-history-key-of-the-bot';
// 0.004 TON a Star: 50 ⭐ buy 0.2 TON. No trial credit, so jobs are paid from Stars credit.
const STARS_ENV = {
  STARS_NANOTON_PER_STAR: '4000000',
  STARS_PACKS: '50,250,1000',
  TRIAL_CREDIT_NANO: '0',
};
const PACK_NANO = 50n * 4_000_000n;
const MODEL = { id: 'demo-gen', kinds: ['generate' as const], digest: 'b'.repeat(64) };

let db: Db;
let emulator: Emulator;
let proxy: ProxyServer | undefined;
let worker: TestWorker | undefined;
let running: RunningBot | undefined;
/** Emulators a test starts for itself (a shortened pre-checkout deadline). */
const extraEmulators: Emulator[] = [];
const { logs, log } = memoryLog();

beforeAll(async () => {
  db = await openTestDb();
  emulator = await startBotApiEmulator({
    bots: [{ token: TOKEN, username: 'cocoon_stars_bot', firstName: 'Cocoon' }],
  });
});
afterAll(async () => {
  await emulator?.close();
  await db?.close();
});
beforeEach(async () => {
  await resetDb(db);
  logs.length = 0;
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await worker?.close();
  worker = undefined;
  await proxy?.close();
  proxy = undefined;
  for (const e of extraEmulators.splice(0)) await e.close();
});

interface NetworkOptions {
  emu?: Emulator;
  botEnv?: Record<string, string>;
  /** Wraps the bot's proxy client per user (a slow or failing proxy). */
  wrap?: (client: CocoonClient) => CocoonClient;
  rig?: boolean;
}

/** The proxy (confirming charges with `emu`), optionally a rig serving demo-gen, and the bot polling `emu`. */
async function startNetwork(o: NetworkOptions = {}) {
  const emu = o.emu ?? emulator;
  proxy = await startTestProxy(db, {
    ...SECRETS,
    ...STARS_ENV,
    TELEGRAM_API_ROOT: emu.url,
    MODEL_CATALOGUE: catalogueFile([MODEL]),
  });
  if (o.rig) {
    // A rig is registered from the Mini App (initData), not with the service key.
    const owner = userClient(proxy, 990_101, 'RigOwner');
    const { rig, token } = await owner.registerRig('stars-rig');
    worker = startTestWorker({ url: proxy.url, token, models: [MODEL] });
    await worker.rigId;
    await owner.setAsk(rig.id, MODEL.id, 3_000_000n);
  }
  const config = loadBotConfig({
    BOT_TOKEN: TOKEN,
    SERVICE_KEY: SECRETS.SERVICE_KEY,
    HISTORY_KEY,
    TELEGRAM_API_ROOT: emu.url,
    COCOON_PROXY_URL: proxy.url,
    MINIAPP_URL: 'http://127.0.0.1:5173/',
    STARS_REPORT_RETRY_MS: '50',
    PAYMENT_SUPPORT: '@cocoon_help',
    ...o.botEnv,
  });
  const wrap = o.wrap;
  running = await startBot(
    config,
    {
      log,
      ...(wrap ? { cocoonFor: (user) => wrap(service({ id: user.id, first_name: user.first_name })) } : {}),
    },
    { pollTimeoutS: 1 },
  );
}

const service = (user: Pick<TgUser, 'id' | 'first_name'>) =>
  serviceClient(proxy!.url, SECRETS.SERVICE_KEY, user);

/** The user sends `text` in their private chat; resolves with the bot's next message matching `match`. */
async function say(emu: Emulator, user: TgUser, text: string, match: (m: TgMessage) => boolean = () => true) {
  const cmd = emu.userSends(user.id, user.id, text);
  return emu.waitForBotMessage(user.id, match, 15_000, { after: cmd.message_id });
}

/** /buy, press the pack's button, and the invoice message the bot sends. */
async function invoiceFor(emu: Emulator, user: TgUser, stars: number): Promise<TgMessage> {
  const offer = await say(emu, user, '/buy', (m) => m.reply_markup !== undefined);
  const press = emu.userPressesButton(user.id, offer.message_id, user.id, `stars:buy:${stars}`);
  if (press.kind !== 'callback') throw new Error('expected a callback button');
  return emu.waitForBotMessage(user.id, (m) => m.invoice !== undefined, 15_000, { after: offer.message_id });
}

/** The user pays an invoice message through the emulator's payment sheet code path. */
function pay(emu: Emulator, user: TgUser, invoice: TgMessage) {
  return payInvoice(emu, { chatId: user.id, messageId: invoice.message_id }, user.id);
}

const receipt = (m: TgMessage) => (m.text ?? '').startsWith('Thank you!');

async function starsNano(user: TgUser): Promise<bigint> {
  return BigInt((await service(user).me()).starsNano ?? '0');
}

/** Re-delivers a message Telegram already sent (a duplicated update). */
function redeliver(emu: Emulator, user: TgUser, fields: Partial<TgMessage>): TgMessage {
  const conv = emu.world.conversationFor(user.id, emu.bot());
  const m = emu.world.appendMessage(conv, { from: user, ...fields });
  emu.world.deliverToBots(conv, m, 'message');
  return m;
}

describe('the bot sells compute credit for Telegram Stars', () => {
  it('/buy shows the rate and packs; a pick sends an XTR invoice; paying credits once and replies with the balance', async () => {
    await startNetwork();
    const ann = emulator.createUser({ first_name: 'Ann' });
    const starsBefore = starsBalance(emulator, ann.id);

    const offer = await say(emulator, ann, '/buy', (m) => m.reply_markup !== undefined);
    expect(offer.text).toContain('Rate: 1 ⭐ = 0.004 TON of compute.');
    expect(offer.text).toContain('50 ⭐ → 0.2 TON');
    expect(offer.text).toContain('1,000 ⭐ → 4 TON');
    expect(offer.reply_markup?.inline_keyboard.map((r) => r[0].text)).toEqual([
      '50 ⭐ → 0.2 TON',
      '250 ⭐ → 1 TON',
      '1,000 ⭐ → 4 TON',
    ]);

    const invoice = await invoiceFor(emulator, ann, 50);
    const sent = emulator.calls('sendInvoice').at(-1)!.params;
    expect(sent.currency).toBe('XTR');
    expect(sent.provider_token ?? '').toBe('');
    const prices = typeof sent.prices === 'string' ? JSON.parse(sent.prices) : sent.prices;
    expect(prices).toEqual([{ label: expect.any(String), amount: 50 }]);
    expect(Buffer.byteLength(String(sent.payload))).toBeLessThanOrEqual(128);

    expect(await pay(emulator, ann, invoice)).toMatchObject({ status: 'paid' });
    const thanks = await emulator.waitForBotMessage(ann.id, receipt, 15_000, { after: invoice.message_id });
    expect(thanks.text).toContain('50 ⭐ bought 0.2 TON of compute credit');
    expect(thanks.text).toContain('Stars credit: 0.2 TON');
    expect(thanks.text).toMatch(/Payment id: \S+/);
    expect(await starsNano(ann)).toBe(PACK_NANO);
    expect(starsBalance(emulator, ann.id)).toBe(starsBefore - 50);
    expect(emulator.calls('answerPreCheckoutQuery').at(-1)?.params.ok).toBe(true);

    const bal = await say(emulator, ann, '/balance');
    expect(bal.text).toBe(
      'Balance: 0 TON\nStars credit: 0.2 TON (bought with Telegram Stars; for jobs only, not withdrawable)',
    );
    // The same invoice paid again: the proxy refuses at pre-checkout, and Telegram shows the user its reason.
    expect(await pay(emulator, ann, invoice)).toEqual({
      status: 'failed',
      reason: 'this invoice was already paid; ask for a new one',
    });
    expect(emulator.calls('answerPreCheckoutQuery').at(-1)?.params.ok).toBe(false);
    expect(await starsNano(ann)).toBe(PACK_NANO);
    expect(starsBalance(emulator, ann.id)).toBe(starsBefore - 50);
    const purchases = (await service(ann).starsPurchases()).purchases;
    expect(purchases.map((p) => [p.stars, p.state])).toEqual([[50, 'paid']]);
    expect(logs.filter((l) => l.includes('update failed') || l.includes('background task failed'))).toEqual(
      [],
    );
  });

  it('a duplicated successful_payment update credits nothing and says so quietly', async () => {
    await startNetwork();
    const ben = emulator.createUser({ first_name: 'Ben' });
    const invoice = await invoiceFor(emulator, ben, 50);
    await pay(emulator, ben, invoice);
    const thanks = await emulator.waitForBotMessage(ben.id, receipt, 15_000, { after: invoice.message_id });
    const paid = emulator
      .history(ben.id)
      .find((m) => m.successful_payment !== undefined && m.message_id > invoice.message_id)!;

    const again = redeliver(emulator, ben, { successful_payment: paid.successful_payment });
    const quiet = await emulator.waitForBotMessage(ben.id, () => true, 15_000, {
      after: Math.max(again.message_id, thanks.message_id),
    });
    expect(quiet.text).toBe('This payment was credited before; nothing more was added.');
    const call = emulator
      .calls('sendMessage')
      .filter((c) => String(c.params.text).startsWith('This payment was credited before'))
      .at(-1);
    expect(call?.params.disable_notification).toBe(true);
    expect(await starsNano(ben)).toBe(PACK_NANO);
    expect((await service(ben).starsPurchases()).purchases).toHaveLength(1);
  });

  it("a pre-checkout answered after Telegram's deadline fails the payment and credits nothing", async () => {
    // Telegram's deadline shortened to 300 ms; the proxy's pre-checkout is held until the payment has failed.
    const emu = await startBotApiEmulator({
      bots: [{ token: TOKEN, username: 'cocoon_stars_bot', firstName: 'Cocoon' }],
      preCheckoutTimeoutMs: 300,
    });
    extraEmulators.push(emu);
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    await startNetwork({
      emu,
      botEnv: { STARS_PRECHECKOUT_TIMEOUT_MS: '9000' },
      wrap: (client) => ({
        ...client,
        starsPreCheckout: async (body) => {
          await gate;
          return client.starsPreCheckout(body);
        },
      }),
    });
    const cal = emu.createUser({ first_name: 'Cal' });
    const invoice = await invoiceFor(emu, cal, 50);
    const result = await pay(emu, cal, invoice);
    expect(result).toEqual({ status: 'failed', reason: expect.stringMatching(/didn't confirm the order/) });
    release();
    // The bot's late answer is refused by Telegram, and no successful_payment ever comes.
    await emu.waitUntil(
      () => (logs.some((l) => l.includes('stars pre-checkout answer refused')) ? true : undefined),
      15_000,
      'the late answer refused',
    );
    expect(starsBalance(emu, cal.id)).toBe(10_000);
    expect(emu.history(cal.id).some((m) => m.successful_payment !== undefined)).toBe(false);
    expect(await starsNano(cal)).toBe(0n);
    expect((await service(cal).starsPurchases()).purchases.every((p) => p.state === 'pending')).toBe(true);
  });

  it('the bot answers "try again" itself when the proxy is slower than its own deadline', async () => {
    await startNetwork({
      botEnv: { STARS_PRECHECKOUT_TIMEOUT_MS: '200' },
      wrap: (client) => ({
        ...client,
        starsPreCheckout: () => new Promise(() => {}),
      }),
    });
    const dee = emulator.createUser({ first_name: 'Dee' });
    const invoice = await invoiceFor(emulator, dee, 50);
    const result = await pay(emulator, dee, invoice);
    expect(result).toEqual({
      status: 'failed',
      reason: "Cocoon couldn't confirm this purchase in time. Nothing was charged; please try again.",
    });
    expect(await starsNano(dee)).toBe(0n);
  });

  it('a successful_payment report is retried while the proxy fails, and credited once', async () => {
    let failures = 2;
    await startNetwork({
      wrap: (client) => ({
        ...client,
        starsPayment: async (body) => {
          if (failures-- > 0) throw new TypeError('fetch failed');
          return client.starsPayment(body);
        },
      }),
    });
    const eve = emulator.createUser({ first_name: 'Eve' });
    const invoice = await invoiceFor(emulator, eve, 50);
    await pay(emulator, eve, invoice);
    await emulator.waitForBotMessage(eve.id, receipt, 15_000, { after: invoice.message_id });
    expect(await starsNano(eve)).toBe(PACK_NANO);
    expect(logs.filter((l) => l.includes('stars payment report retried'))).toHaveLength(2);
  });

  it('/refund refunds an unspent purchase: the Stars go back, the credit is removed', async () => {
    await startNetwork();
    const fay = emulator.createUser({ first_name: 'Fay' });
    const invoice = await invoiceFor(emulator, fay, 50);
    await pay(emulator, fay, invoice);
    await emulator.waitForBotMessage(fay.id, receipt, 15_000, { after: invoice.message_id });
    expect(starsBalance(emulator, fay.id)).toBe(10_000 - 50);

    const list = await say(emulator, fay, '/refund', (m) => m.reply_markup !== undefined);
    expect(list.text).toMatch(/50 ⭐ → 0\.2 TON, unspent — refundable/);
    const [purchase] = (await service(fay).starsPurchases()).purchases;
    const press = emulator.userPressesButton(fay.id, list.message_id, fay.id, `stars:refund:${purchase.id}`);
    if (press.kind !== 'callback') throw new Error('expected a callback button');
    const done = await emulator.waitForBotMessage(
      fay.id,
      (m) => (m.text ?? '').startsWith('Refunded'),
      15_000,
      {
        after: list.message_id,
      },
    );
    expect(done.text).toContain('50 ⭐ go back to your Telegram Stars balance');
    expect(starsBalance(emulator, fay.id)).toBe(10_000);
    expect(await starsNano(fay)).toBe(0n);
    expect((await service(fay).starsPurchases()).purchases[0].state).toBe('refunded');

    // The same button again: refused with the proxy's reason, nothing moves.
    emulator.userPressesButton(fay.id, list.message_id, fay.id, `stars:refund:${purchase.id}`);
    const no = await emulator.waitForBotMessage(
      fay.id,
      (m) => (m.text ?? '').startsWith('Not refunded'),
      15_000,
      {
        after: done.message_id,
      },
    );
    expect(no.text).toMatch(/^Not refunded: /);
    expect(starsBalance(emulator, fay.id)).toBe(10_000);
    const again = await say(emulator, fay, '/refund');
    expect(again.text).toContain('not refundable: already refunded');
    expect(again.reply_markup).toBeUndefined();
  });

  it('a charge Telegram reverses after its credit was spent leaves a receivable, and new jobs are refused', async () => {
    await startNetwork({ rig: true });
    const gus = emulator.createUser({ first_name: 'Gus' });
    const invoice = await invoiceFor(emulator, gus, 50);
    const paid = await pay(emulator, gus, invoice);
    if (paid.status !== 'paid') throw new Error(`payment failed: ${paid.reason}`);
    await emulator.waitForBotMessage(gus.id, receipt, 15_000, { after: invoice.message_id });

    const job = await say(emulator, gus, '/generate spend some stars credit', (m) =>
      /— [\d.]+ TON · rig [0-9a-f]{8}$/.test(m.text ?? ''),
    );
    expect(job.text).toMatch(/^SPEND SOME STARS CREDIT/);
    const left = await starsNano(gus);
    expect(left).toBeLessThan(PACK_NANO);
    const spent = PACK_NANO - left;

    // Partly spent: not refundable, and the bot says why.
    const list = await say(emulator, gus, '/refund');
    expect(list.text).toContain('not refundable: part of its credit was spent');
    expect(list.reply_markup).toBeUndefined();

    reverseCharge(emulator, paid.telegramPaymentChargeId);
    const told = await emulator.waitForBotMessage(
      gus.id,
      (m) => (m.text ?? '').startsWith('Telegram refunded your payment'),
      15_000,
      { after: list.message_id },
    );
    expect(told.text).toContain('Owed: ');
    const me = await service(gus).me();
    expect(BigInt(me.receivableNano ?? '0')).toBe(spent);
    expect(BigInt(me.starsNano ?? '0')).toBe(0n);

    const bal = await say(emulator, gus, '/balance');
    expect(bal.text).toContain(`Owed: `);
    const refused = await say(emulator, gus, '/generate one more', (m) =>
      (m.text ?? '').startsWith('Telegram reversed a Stars payment'),
    );
    expect(refused.text).toContain('new jobs are paused');
    expect(worker!.received).toHaveLength(1);

    // The rig's owner could be Gus's other account: when the hold on its earnings ends, the part earned from
    // the reversed credit settles Gus's debt instead of becoming withdrawable TON.
    const owner = userClient(proxy!, 990_101, 'RigOwner');
    const [rig] = (await owner.rigs()).rigs;
    const held = BigInt(rig.heldStarsNano ?? '0');
    expect(held).toBeGreaterThan(0n);
    await db.query("UPDATE stars_earnings_holds SET release_at = now() - interval '1 second'");
    await expect
      .poll(async () => BigInt((await service(gus).me()).receivableNano ?? '0'), { timeout: 10_000 })
      .toBe(spent - held);
    expect((await owner.me()).withdrawableNano).toBe('0');
  });

  it('in a group /buy points to the private chat and the Mini App; /start buy opens the offer; /paysupport and /terms answer', async () => {
    await startNetwork();
    const hal = emulator.createUser({ first_name: 'Hal' });
    const chat = emulator.createGroup({ title: 'Buyers', creator: hal.id });
    emulator.addBotToChat(chat.id);
    const cmd = emulator.userSends(chat.id, hal.id, '/buy');
    const pointer = await emulator.waitForBotMessage(chat.id, () => true, 15_000, { after: cmd.message_id });
    expect(pointer.reply_markup?.inline_keyboard[0][0]).toEqual({
      text: 'Buy in a private chat',
      url: 'https://t.me/cocoon_stars_bot?start=buy',
    });
    expect(pointer.reply_markup?.inline_keyboard[1][0]).toEqual({
      text: 'Open the wallet',
      url: 'http://127.0.0.1:5173/#/wallet',
    });
    expect(emulator.calls('sendInvoice').filter((c) => c.params.chat_id === chat.id)).toEqual([]);

    const deep = await say(emulator, hal, '/start buy');
    expect(deep.text).toMatch(/^Buy Cocoon compute credit with Telegram Stars/);
    expect((await say(emulator, hal, '/paysupport')).text).toContain('Contact: @cocoon_help');
    const terms = await say(emulator, hal, '/terms');
    expect(terms.text).toContain('What is sold: Cocoon compute credit');
    expect(terms.text).toContain('Rate: 1 ⭐ = 0.004 TON');
    expect(terms.text).toContain('within 7 days');

    const commands = emulator.calls('setMyCommands').at(-1)?.params.commands;
    const names = (typeof commands === 'string' ? JSON.parse(commands) : commands) as Array<{
      command: string;
    }>;
    expect(names.map((c) => c.command)).toEqual(
      expect.arrayContaining(['buy', 'refund', 'paysupport', 'terms']),
    );
  });
});
