// Telegram Stars through the real HTTP server: a grammY bot sells, users pay (helper, payment sheet, web chat
// route), the pre-checkout answer decides, refunds and reversals give the Stars back exactly once.
import { Api, Bot, GrammyError } from 'grammy';
import type { Message } from 'grammy/types';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, startBotApiEmulator, type TgMessage, type TgUser } from './index';
import { preCheckoutTimeoutFromEnv } from './stars';
import { payInvoice, reverseCharge, setStars, starsBalance } from './testing';

const token = '7000401:stars-test-token';
let emulator: Emulator;
let api: Api;
let bot: Bot;
let buyer: TgUser;
/** What the bot answers to the next pre-checkout queries: ok, a refusal, or nothing at all. */
let answer: 'ok' | 'refuse' | 'silent' = 'ok';
const received: Message[] = [];
let preCheckouts = 0;

beforeAll(async () => {
  emulator = await startBotApiEmulator({ bots: [{ token, username: 'stars_bot', firstName: 'Stars' }] });
  api = new Api(token, { apiRoot: emulator.url });
  bot = new Bot(token, { client: { apiRoot: emulator.url } });
  bot.on('pre_checkout_query', async (ctx) => {
    preCheckouts += 1;
    if (answer === 'ok') await ctx.answerPreCheckoutQuery(true);
    if (answer === 'refuse') await ctx.answerPreCheckoutQuery(false, 'Sold out, sorry');
  });
  bot.on('message', (ctx) => {
    received.push(ctx.message);
  });
  await new Promise<void>((resolve) => {
    void bot.start({ timeout: 5, onStart: () => resolve() });
  });
});
afterAll(async () => {
  await bot.stop();
  await emulator.close();
});
beforeEach(() => {
  answer = 'ok';
  buyer = emulator.createUser({ first_name: 'Buyer' });
  emulator.userSends(buyer.id, buyer.id, '/start');
});

const invoiceTo = (chatId: number, stars: number, payload = `pack-${stars}`) =>
  api.sendInvoice(chatId, 'Compute credit', `${stars} Stars of compute`, payload, 'XTR', [
    { label: `${stars} Stars`, amount: stars },
  ]);

const rawCall = async (method: string, body: unknown) => {
  const res = await fetch(`${emulator.url}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { ok: boolean; description?: string } };
};

const rejection = async (call: Promise<unknown>): Promise<string> => {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GrammyError);
  return (err as GrammyError).description;
};

/** The fields successful_payment and refunded_payment share. */
const paymentFields = (amount: number, payload: string, chargeId: string) => ({
  currency: 'XTR',
  total_amount: amount,
  invoice_payload: payload,
  telegram_payment_charge_id: chargeId,
});

const waitForPaymentMessage = (field: 'successful_payment' | 'refunded_payment', chargeId: string) =>
  emulator.waitUntil(
    () => received.find((m) => m[field]?.telegram_payment_charge_id === chargeId),
    10_000,
    `${field} ${chargeId}`,
  );

describe('paying an invoice', () => {
  it('sendInvoice → pre-checkout → ok → successful_payment with the charge id, listed in getStarTransactions', async () => {
    const sent = await invoiceTo(buyer.id, 50, 'p-ok');
    expect(sent.invoice).toEqual({
      title: 'Compute credit',
      description: '50 Stars of compute',
      start_parameter: '',
      currency: 'XTR',
      total_amount: 50,
    });
    const result = await payInvoice(emulator, { chatId: buyer.id, messageId: sent.message_id }, buyer.id);
    if (result.status !== 'paid') throw new Error(`expected paid, got ${result.reason}`);
    const chargeId = result.telegramPaymentChargeId;
    const message = await waitForPaymentMessage('successful_payment', chargeId);
    expect(message.chat.id).toBe(buyer.id);
    expect(message.from?.id).toBe(buyer.id);
    expect(message.successful_payment).toMatchObject(paymentFields(50, 'p-ok', chargeId));
    expect(message.successful_payment?.provider_payment_charge_id).toBeTruthy();
    expect(starsBalance(emulator, buyer.id)).toBe(10_000 - 50);
    const { transactions } = await api.getStarTransactions({ limit: 100 });
    expect(transactions.find((t) => t.id === chargeId)).toMatchObject({
      amount: 50,
      source: {
        type: 'user',
        transaction_type: 'invoice_payment',
        user: { id: buyer.id },
        invoice_payload: 'p-ok',
      },
    });
  });

  it("ok: false fails the payment with the bot's message and charges nothing", async () => {
    answer = 'refuse';
    const sent = await invoiceTo(buyer.id, 250);
    const before = (await api.getStarTransactions()).transactions.length;
    const result = await payInvoice(emulator, { chatId: buyer.id, messageId: sent.message_id }, buyer.id);
    expect(result).toEqual({ status: 'failed', reason: 'Sold out, sorry' });
    expect(starsBalance(emulator, buyer.id)).toBe(10_000);
    expect((await api.getStarTransactions()).transactions).toHaveLength(before);
    expect(emulator.history(buyer.id).some((m) => m.successful_payment)).toBe(false);
  });

  it('too few Stars fails before the bot is asked', async () => {
    setStars(emulator, buyer.id, 10);
    const sent = await invoiceTo(buyer.id, 50);
    const asked = preCheckouts;
    const result = await payInvoice(emulator, { chatId: buyer.id, messageId: sent.message_id }, buyer.id);
    expect(result.status).toBe('failed');
    expect(result.status === 'failed' && result.reason).toContain('not enough Stars');
    expect(preCheckouts).toBe(asked);
    expect(starsBalance(emulator, buyer.id)).toBe(10);
  });
});

describe('pre-checkout deadline', () => {
  it('no answer within the deadline fails the payment; a late answer is refused as Telegram does', async () => {
    // Its own emulator with a short deadline and no bot polling: nobody answers.
    const quiet = await startBotApiEmulator({
      bots: [{ token, username: 'quiet_bot', firstName: 'Quiet' }],
      preCheckoutTimeoutMs: 200,
    });
    try {
      const quietApi = new Api(token, { apiRoot: quiet.url });
      const user = quiet.createUser({ first_name: 'Late' });
      quiet.userSends(user.id, user.id, '/start');
      const link = await quietApi.createInvoiceLink('Credit', '50 Stars', 'late', '', 'XTR', [
        { label: '50', amount: 50 },
      ]);
      const result = await payInvoice(quiet, link, user.id);
      expect(result.status).toBe('failed');
      expect(result.status === 'failed' && result.reason).toContain("didn't confirm the order");
      const updates = await quietApi.getUpdates({ allowed_updates: ['pre_checkout_query'] });
      const query = updates.find((u) => u.pre_checkout_query)?.pre_checkout_query;
      expect(query).toMatchObject({
        from: { id: user.id },
        currency: 'XTR',
        total_amount: 50,
        invoice_payload: 'late',
      });
      expect(await rejection(quietApi.answerPreCheckoutQuery(query?.id ?? '', true))).toBe(
        'Bad Request: query is too old and response timeout expired or query ID is invalid',
      );
      expect(starsBalance(quiet, user.id)).toBe(10_000);
      expect((await quietApi.getStarTransactions()).transactions).toEqual([]);
    } finally {
      await quiet.close();
    }
  });

  it('EMULATOR_PRECHECKOUT_TIMEOUT_MS sets the deadline; a bad value is refused by name', () => {
    expect(preCheckoutTimeoutFromEnv({})).toBeUndefined();
    expect(preCheckoutTimeoutFromEnv({ EMULATOR_PRECHECKOUT_TIMEOUT_MS: '1500' })).toBe(1500);
    expect(() => preCheckoutTimeoutFromEnv({ EMULATOR_PRECHECKOUT_TIMEOUT_MS: '10s' })).toThrow(
      /EMULATOR_PRECHECKOUT_TIMEOUT_MS must be an integer/,
    );
  });
});

describe('refunds and reversals', () => {
  const paidCharge = async (stars: number): Promise<string> => {
    const sent = await invoiceTo(buyer.id, stars);
    const result = await payInvoice(emulator, { chatId: buyer.id, messageId: sent.message_id }, buyer.id);
    if (result.status !== 'paid') throw new Error(result.reason);
    await waitForPaymentMessage('successful_payment', result.telegramPaymentChargeId);
    return result.telegramPaymentChargeId;
  };

  it('refundStarPayment gives the Stars back once; a second refund is CHARGE_ALREADY_REFUNDED', async () => {
    const chargeId = await paidCharge(1000);
    expect(starsBalance(emulator, buyer.id)).toBe(9_000);
    expect(await api.refundStarPayment(buyer.id, chargeId)).toBe(true);
    expect(starsBalance(emulator, buyer.id)).toBe(10_000);
    expect(await rejection(api.refundStarPayment(buyer.id, chargeId))).toBe(
      'Bad Request: CHARGE_ALREADY_REFUNDED',
    );
    expect(starsBalance(emulator, buyer.id)).toBe(10_000);
    const { transactions } = await api.getStarTransactions();
    const both = transactions.filter((t) => t.id === chargeId);
    expect(both).toHaveLength(2);
    expect(both[1]).toMatchObject({ amount: 1000, receiver: { type: 'user', user: { id: buyer.id } } });
    const notice = emulator.history(buyer.id).find((m) => m.refunded_payment);
    expect(notice?.from?.is_bot).toBe(true);
  });

  it("refuses a refund of an unknown charge or of another user's charge", async () => {
    const chargeId = await paidCharge(50);
    const other = emulator.createUser({ first_name: 'Other' });
    expect(await rejection(api.refundStarPayment(buyer.id, 'stxNope'))).toBe('Bad Request: CHARGE_NOT_FOUND');
    expect(await rejection(api.refundStarPayment(other.id, chargeId))).toBe('Bad Request: CHARGE_NOT_FOUND');
  });

  it('a reversal by Telegram (control API) sends refunded_payment and can happen once', async () => {
    const chargeId = await paidCharge(250);
    const res = await fetch(`${emulator.url}/_emulator/payments/${chargeId}/reverse`, { method: 'POST' });
    expect(res.status).toBe(200);
    const message = await waitForPaymentMessage('refunded_payment', chargeId);
    expect(message.from?.id).toBe(buyer.id);
    expect(message.refunded_payment).toMatchObject(paymentFields(250, 'pack-250', chargeId));
    expect(starsBalance(emulator, buyer.id)).toBe(10_000);
    const again = await fetch(`${emulator.url}/_emulator/payments/${chargeId}/reverse`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(() => reverseCharge(emulator, chargeId)).toThrow(/already refunded/);
    expect(await rejection(api.refundStarPayment(buyer.id, chargeId))).toBe(
      'Bad Request: CHARGE_ALREADY_REFUNDED',
    );
  });
});

const invoice = {
  title: 'Credit',
  description: '50 Stars',
  payload: 'x',
  currency: 'XTR',
  prices: [{ label: '50', amount: 50 }],
};
const cases: [string, string, Record<string, unknown>, string][] = [
  ['no title', 'createInvoiceLink', { ...invoice, title: '' }, 'Bad Request: parameter "title" is required'],
  [
    'two prices',
    'createInvoiceLink',
    { ...invoice, prices: [...invoice.prices, ...invoice.prices] },
    'Bad Request: STARS_INVOICE_INVALID',
  ],
  [
    'no prices',
    'createInvoiceLink',
    { ...invoice, prices: [] },
    'Bad Request: there must be at least one price',
  ],
  [
    'prices not JSON',
    'createInvoiceLink',
    { ...invoice, prices: '[{' },
    "Bad Request: can't parse prices JSON object",
  ],
  [
    'zero Stars',
    'createInvoiceLink',
    { ...invoice, prices: [{ label: 'x', amount: 0 }] },
    'Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID',
  ],
  [
    'payload of 129 bytes',
    'createInvoiceLink',
    { ...invoice, payload: 'p'.repeat(129) },
    'Bad Request: INVOICE_PAYLOAD_INVALID',
  ],
  [
    'title of 33 characters',
    'createInvoiceLink',
    { ...invoice, title: 't'.repeat(33) },
    'Bad Request: invoice title must be at most 32 characters',
  ],
  [
    'a fiat currency',
    'createInvoiceLink',
    { ...invoice, currency: 'USD' },
    'Bad Request: CURRENCY_INVALID: the emulator takes Telegram Stars only ("XTR")',
  ],
  [
    'a provider token',
    'createInvoiceLink',
    { ...invoice, provider_token: 'tok' },
    'Bad Request: PAYMENT_PROVIDER_INVALID: pass an empty provider_token for Stars',
  ],
  [
    'refusal without a message',
    'answerPreCheckoutQuery',
    { pre_checkout_query_id: '1', ok: false },
    'Bad Request: parameter "error_message" is required',
  ],
  [
    'refund without a charge id',
    'refundStarPayment',
    { user_id: 1 },
    'Bad Request: parameter "telegram_payment_charge_id" is required',
  ],
  [
    'refund without a user',
    'refundStarPayment',
    { telegram_payment_charge_id: 'stx' },
    'Bad Request: invalid user_id specified',
  ],
];
describe('bad parameters', () => {
  it.each(cases)('%s → 400 with a clear description', async (_name, method, params, description) => {
    expect(await rawCall(method, params)).toEqual({
      status: 400,
      body: { ok: false, error_code: 400, description },
    });
  });

  it('sendInvoice checks the chat and that a custom keyboard starts with a Pay button', async () => {
    const stranger = emulator.createUser({ first_name: 'Stranger' });
    const base = { ...invoice, chat_id: buyer.id };
    expect((await rawCall('sendInvoice', { ...base, chat_id: stranger.id })).status).toBe(403);
    const noPay = { inline_keyboard: [[{ text: 'Help', callback_data: 'help' }]] };
    expect((await rawCall('sendInvoice', { ...base, reply_markup: noPay })).body.description).toContain(
      'REPLY_MARKUP_BUY_EMPTY',
    );
    const withPay = { inline_keyboard: [[{ text: 'Pay 50 ⭐', pay: true }]] };
    expect((await rawCall('sendInvoice', { ...base, reply_markup: withPay })).status).toBe(200);
  });
});

describe('payment sheet HTTP and the web chat', () => {
  it('GET /invoice/:slug describes a createInvoiceLink invoice and POST …/pay pays it', async () => {
    const link = await api.createInvoiceLink('Credit', '250 Stars', 'via-link', '', 'XTR', [
      { label: '250', amount: 250 },
    ]);
    expect(link).toMatch(new RegExp(`^${emulator.url}/invoice/[A-Za-z0-9_-]+$`));
    const slug = link.split('/').pop();
    const sheet = await fetch(link, { headers: { origin: 'http://localhost:5173' } });
    expect(sheet.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(await sheet.json()).toEqual({
      slug,
      title: 'Credit',
      description: '250 Stars',
      currency: 'XTR',
      totalAmount: 250,
    });
    const paid = await fetch(`${link}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: buyer.id }),
    });
    const body = (await paid.json()) as { status: string; telegramPaymentChargeId: string };
    expect(body.status).toBe('paid');
    const message = await waitForPaymentMessage('successful_payment', body.telegramPaymentChargeId);
    expect(message.successful_payment?.invoice_payload).toBe('via-link');
    expect(starsBalance(emulator, buyer.id)).toBe(10_000 - 250);
  });

  it('answers CORS only to local origins, and clear errors for bad requests', async () => {
    const link = await api.createInvoiceLink('Credit', '50', 'cors', '', 'XTR', [
      { label: '50', amount: 50 },
    ]);
    const preflight = await fetch(`${link}/pay`, {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:8080', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8080');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
    const foreign = await fetch(link, { headers: { origin: 'https://example.com' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const badBody = await fetch(`${link}/pay`, { method: 'POST', body: JSON.stringify({ userId: 'me' }) });
    expect(badBody.status).toBe(400);
    expect(((await badBody.json()) as { error: string }).error).toMatch(/^userId: /);
    const unknown = await fetch(`${emulator.url}/invoice/nope`);
    expect(unknown.status).toBe(404);
  });

  it('the control API sets and shows balances and pays an invoice message as the web chat does', async () => {
    const control = (path: string, body?: unknown) =>
      fetch(`${emulator.url}/_emulator${path}`, {
        method: body ? 'POST' : 'GET',
        ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
      });
    expect(await (await control(`/users/${buyer.id}/stars`, { balance: 300 })).json()).toEqual({
      balance: 300,
    });
    expect(await (await fetch(`${emulator.url}/control/users/${buyer.id}/stars`)).json()).toEqual({
      balance: 300,
    });
    expect((await control(`/users/${buyer.id}/stars`, { balance: -1 })).status).toBe(400);
    const sent = await invoiceTo(buyer.id, 250);
    const paid = (await (
      await control(`/chats/${buyer.id}/messages/${sent.message_id}/pay`, { userId: buyer.id })
    ).json()) as { status: string };
    expect(paid.status).toBe('paid');
    const state = (await (await control('/state')).json()) as { stars: Record<string, number> };
    expect(state.stars[String(buyer.id)]).toBe(50);
    const plain = emulator.history(buyer.id).find((m: TgMessage) => m.text === '/start');
    const notInvoice = await control(`/chats/${buyer.id}/messages/${plain?.message_id}/pay`, {
      userId: buyer.id,
    });
    expect(notInvoice.status).toBe(404);
  });

  it("the web chat page draws invoices with a Pay button and the user's Stars", async () => {
    const html = await (await fetch(`${emulator.url}/`)).text();
    expect(html).toContain("'Pay ' + m.invoice.total_amount + ' ⭐'");
    expect(html).toContain('id="stars"');
  });
});
