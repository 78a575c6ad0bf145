// Bot API payment methods for Telegram Stars: sendInvoice, createInvoiceLink, answerPreCheckoutQuery,
// refundStarPayment, getStarTransactions, getMyStarBalance. Only Stars: currency "XTR", an empty provider_token.
import { z } from 'zod';
import { badRequest } from './errors';
import type { Handler, MethodContext } from './methods';
import { bool, int, json, parseParams } from './params';
import { sendBase, sendToChat } from './send';
import type { Invoice } from './stars';

/** Telegram's upper bound on one Stars invoice in the emulator (Telegram's own limit is a server setting). */
export const MAX_INVOICE_STARS = 100_000;

const invoiceParams = {
  title: z.string().optional(),
  description: z.string().optional(),
  payload: z.string().optional(),
  provider_token: z.string().optional(),
  currency: z.string().optional(),
  prices: z.unknown(),
  max_tip_amount: int().optional(),
  suggested_tip_amounts: json(z.array(int())).optional(),
  start_parameter: z.string().optional(),
  provider_data: z.string().optional(),
  photo_url: z.string().optional(),
  photo_size: int().optional(),
  photo_width: int().optional(),
  photo_height: int().optional(),
  need_name: bool().optional(),
  need_phone_number: bool().optional(),
  need_email: bool().optional(),
  need_shipping_address: bool().optional(),
  send_phone_number_to_provider: bool().optional(),
  send_email_to_provider: bool().optional(),
  is_flexible: bool().optional(),
  subscription_period: int().optional(),
};

type InvoiceParams = z.infer<z.ZodObject<typeof invoiceParams>>;

/** Like the Bot API, an empty required string counts as missing. */
function required(p: InvoiceParams, name: 'title' | 'description' | 'payload' | 'currency'): string {
  const value = p[name];
  if (value === undefined || value === '') throw badRequest(`parameter "${name}" is required`);
  return value;
}

/** prices: a JSON array of exactly one LabeledPrice for Stars, with the Bot API's parse errors. */
function starsAmount(raw: unknown): number {
  if (raw === undefined || raw === '') throw badRequest('parameter "prices" is required');
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw badRequest("can't parse prices JSON object");
    }
  }
  if (!Array.isArray(value)) throw badRequest('expected an Array of labeled prices');
  const price = z.object({ label: z.string().min(1), amount: z.number().int() });
  for (const item of value) {
    const parsed = price.safeParse(item);
    if (!parsed.success) {
      const field = String(parsed.error.issues[0].path[0] ?? 'price');
      throw badRequest(
        `can't parse labeled price: field "${field}" must be a non-empty ${field === 'amount' ? 'integer' : 'string'}`,
      );
    }
  }
  if (value.length === 0) throw badRequest('there must be at least one price');
  if (value.length !== 1) throw badRequest('STARS_INVOICE_INVALID');
  const amount = (value[0] as { amount: number }).amount;
  if (amount < 1 || amount > MAX_INVOICE_STARS) throw badRequest('CURRENCY_TOTAL_AMOUNT_INVALID');
  return amount;
}

/** The checks sendInvoice and createInvoiceLink share; Stars rules as Telegram applies them. */
function invoiceFields(p: InvoiceParams): Omit<Invoice, 'slug' | 'botId'> {
  const title = required(p, 'title');
  const description = required(p, 'description');
  const payload = required(p, 'payload');
  const currency = required(p, 'currency');
  const amount = starsAmount(p.prices);
  if ([...title].length > 32) throw badRequest('invoice title must be at most 32 characters');
  if ([...description].length > 255) throw badRequest('invoice description must be at most 255 characters');
  if (Buffer.byteLength(payload) > 128) throw badRequest('INVOICE_PAYLOAD_INVALID');
  if (currency !== 'XTR')
    throw badRequest('CURRENCY_INVALID: the emulator takes Telegram Stars only ("XTR")');
  if (p.provider_token) throw badRequest('PAYMENT_PROVIDER_INVALID: pass an empty provider_token for Stars');
  if ((p.max_tip_amount ?? 0) !== 0 || (p.suggested_tip_amounts?.length ?? 0) > 0)
    throw badRequest('STARS_INVOICE_INVALID: tips are not supported for payments in Telegram Stars');
  if (p.subscription_period !== undefined)
    throw badRequest('SUBSCRIPTION_PERIOD_INVALID: the emulator has no Stars subscriptions');
  return { title, description, payload, currency: 'XTR', amount };
}

function sendInvoice(ctx: MethodContext): unknown {
  const p = parseParams(z.object({ ...sendBase, ...invoiceParams }), ctx.params);
  ctx.world.conversationForBot(ctx.bot, p.chat_id);
  const fields = invoiceFields(p);
  // Telegram shows a Pay button itself; a bot's own inline keyboard must start with one ({ pay: true }).
  const rows = (p.reply_markup as { inline_keyboard?: { pay?: boolean }[][] } | undefined)?.inline_keyboard;
  if (rows && rows[0]?.[0]?.pay !== true)
    throw badRequest('REPLY_MARKUP_BUY_EMPTY: the first button of an invoice must be a Pay button');
  const invoice = ctx.stars.createInvoice(ctx.bot, fields);
  const message = sendToChat(ctx, p, {
    invoice: {
      title: fields.title,
      description: fields.description,
      start_parameter: p.start_parameter ?? '',
      currency: fields.currency,
      total_amount: fields.amount,
    },
  });
  const conv = ctx.world.conversationForBot(ctx.bot, p.chat_id);
  ctx.stars.attachToMessage(invoice, conv.key, message.message_id);
  return message;
}

export const paymentMethods: Record<string, Handler> = {
  sendinvoice: sendInvoice,

  createinvoicelink: (ctx) => {
    const p = parseParams(
      z.object({ ...invoiceParams, business_connection_id: z.string().optional() }),
      ctx.params,
    );
    const invoice = ctx.stars.createInvoice(ctx.bot, invoiceFields(p));
    return ctx.stars.invoiceLink(invoice);
  },

  answerprecheckoutquery: (ctx) => {
    const p = parseParams(
      z.object({
        pre_checkout_query_id: z.string().or(int().transform(String)),
        ok: bool(),
        error_message: z.string().optional(),
      }),
      ctx.params,
    );
    if (!p.ok && !p.error_message) throw badRequest('parameter "error_message" is required');
    ctx.stars.answerPreCheckout(
      ctx.bot,
      p.pre_checkout_query_id,
      p.ok ? { ok: true } : { ok: false, reason: p.error_message ?? '' },
    );
    return true;
  },

  refundstarpayment: (ctx) => {
    const p = parseParams(
      z.object({ user_id: int(), telegram_payment_charge_id: z.string().optional() }),
      ctx.params,
    );
    if (!p.telegram_payment_charge_id) throw badRequest('parameter "telegram_payment_charge_id" is required');
    ctx.stars.refund(ctx.bot, p.user_id, p.telegram_payment_charge_id);
    return true;
  },

  getstartransactions: (ctx) => {
    const p = parseParams(z.object({ offset: int().optional(), limit: int().optional() }), ctx.params);
    // The Bot API clamps rather than rejects: offset ≥ 0, limit 1..100 (default 100).
    const offset = Math.max(p.offset ?? 0, 0);
    const limit = Math.min(Math.max(p.limit ?? 100, 1), 100);
    return { transactions: ctx.stars.transactions(ctx.bot, offset, limit) };
  },

  getmystarbalance: (ctx) => ({ amount: ctx.stars.botBalance(ctx.bot) }),
};
