// Telegram Stars in the emulated world: each user's balance, the invoices bots create, the payment flow with
// its pre-checkout query (answered within Telegram's 10 seconds or the payment fails), the charges, the bots'
// star transactions, refunds by the bot and reversals by "Telegram" (a chargeback).
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { badRequest } from './errors';
import type { TgMessage, TgUser } from './model';
import type { BotAccount, World } from './world';

/** A new user's Stars, so `npm start` can buy at once. */
export const DEFAULT_STARS_BALANCE = 10_000;
/** Telegram's deadline for answerPreCheckoutQuery. */
export const PRECHECKOUT_TIMEOUT_MS = 10_000;

export interface Invoice {
  slug: string;
  botId: number;
  title: string;
  description: string;
  payload: string;
  currency: 'XTR';
  amount: number;
}

export interface Charge {
  id: string;
  providerChargeId: string;
  botId: number;
  userId: number;
  payload: string;
  amount: number;
  /** Set once: by the bot's refundStarPayment or by a reversal. */
  refunded?: 'refund' | 'reversal';
}

export type PayResult =
  | { status: 'paid'; telegramPaymentChargeId: string }
  | { status: 'failed'; reason: string };

/** The StarTransaction objects of getStarTransactions (a user partner only: the emulator has no Fragment). */
export interface StarTransaction {
  id: string;
  amount: number;
  date: number;
  source?: TransactionPartnerUser;
  receiver?: TransactionPartnerUser;
}

interface TransactionPartnerUser {
  type: 'user';
  transaction_type: 'invoice_payment';
  user: TgUser;
  invoice_payload: string;
}

type Answer = { ok: true } | { ok: false; reason: string };

interface PendingQuery {
  botId: number;
  settle: (answer: Answer) => void;
}

/** A failure of the test-side or sheet-side calls (not a Bot API error): unknown invoice, user or charge. */
export class StarsError extends Error {
  constructor(
    readonly status: 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

const now = () => Math.floor(Date.now() / 1000);

/** EMULATOR_PRECHECKOUT_TIMEOUT_MS (tests shorten the deadline); a bad value stops the emulator. */
export function preCheckoutTimeoutFromEnv(env: Record<string, string | undefined>): number | undefined {
  const raw = env.EMULATOR_PRECHECKOUT_TIMEOUT_MS;
  if (raw === undefined || raw === '') return undefined;
  const parsed = z.coerce.number().int().min(1).max(600_000).safeParse(raw);
  if (!parsed.success)
    throw new Error(`EMULATOR_PRECHECKOUT_TIMEOUT_MS must be an integer from 1 to 600000 (ms), got "${raw}"`);
  return parsed.data;
}

export class Stars {
  private readonly balances = new Map<number, number>();
  private readonly invoices = new Map<string, Invoice>();
  /** `${chatKey}:${messageId}` → the slug of the invoice a sendInvoice message shows. */
  private readonly messageInvoices = new Map<string, string>();
  private readonly pending = new Map<string, PendingQuery>();
  private readonly charges = new Map<string, Charge>();
  private readonly ledger = new Map<number, StarTransaction[]>();
  /** `${slug}:${userId}`: one payment at a time per user and invoice (a double click pays once). */
  private readonly paying = new Set<string>();
  private nextQueryId = 5_000_000_000_000_000_000n;
  private nextProviderSeq = 1;

  constructor(
    private readonly world: World,
    private readonly options: { preCheckoutTimeoutMs: number; publicUrl: () => string },
  ) {}

  // ------------------------------------------------------------ balances

  balance(userId: number): number {
    this.world.requireUser(userId);
    return this.balances.get(userId) ?? DEFAULT_STARS_BALANCE;
  }

  setBalance(userId: number, balance: number): void {
    this.world.requireUser(userId);
    if (!Number.isSafeInteger(balance) || balance < 0) throw new Error('balance must be a whole number ≥ 0');
    this.balances.set(userId, balance);
    this.world.emit({ type: 'world' });
  }

  /** All users' balances, for the web chat. */
  balancesByUser(): Record<string, number> {
    return Object.fromEntries([...this.world.users.keys()].map((id) => [id, this.balance(id)]));
  }

  // ------------------------------------------------------------ invoices

  createInvoice(bot: BotAccount, fields: Omit<Invoice, 'slug' | 'botId'>): Invoice {
    const invoice: Invoice = { slug: randomBytes(12).toString('base64url'), botId: bot.user.id, ...fields };
    this.invoices.set(invoice.slug, invoice);
    return invoice;
  }

  /** createInvoiceLink's answer: the payment sheet's address (GET it, POST …/pay). */
  invoiceLink(invoice: Invoice): string {
    return `${this.options.publicUrl()}/invoice/${invoice.slug}`;
  }

  attachToMessage(invoice: Invoice, chatKey: string, messageId: number): void {
    this.messageInvoices.set(`${chatKey}:${messageId}`, invoice.slug);
  }

  invoice(slug: string): Invoice {
    const invoice = this.invoices.get(slug);
    if (!invoice) throw new StarsError(404, `no invoice ${slug}`);
    return invoice;
  }

  invoiceForMessage(chatKey: string, messageId: number): Invoice {
    const slug = this.messageInvoices.get(`${chatKey}:${messageId}`);
    if (!slug) throw new StarsError(404, `message ${messageId} holds no invoice`);
    return this.invoice(slug);
  }

  // ------------------------------------------------------------ paying

  /** The user pays the invoice: a pre-checkout query to the bot, then the charge and successful_payment. */
  async pay(slug: string, userId: number): Promise<PayResult> {
    const invoice = this.invoice(slug);
    const user = this.world.users.get(userId);
    if (!user) throw new StarsError(404, `unknown user ${userId}`);
    const bot = this.world.bots.get(invoice.botId);
    if (!bot) throw new StarsError(404, `the bot of invoice ${slug} is gone`);
    const key = `${slug}:${userId}`;
    if (this.paying.has(key)) return failed('a payment for this invoice is already in progress');
    const short = this.shortfall(invoice, userId);
    if (short) return failed(short);
    const conv = this.world.privateConversation(bot, userId);
    if (conv.members.get(bot.user.id) === 'kicked') return failed('you have blocked the bot');
    this.paying.add(key);
    try {
      const answer = await this.askBot(bot, user, invoice);
      if (!answer.ok) return failed(answer.reason);
      const shortNow = this.shortfall(invoice, userId); // the balance may have moved while the bot thought
      if (shortNow) return failed(shortNow);
      const charge = this.charge(invoice, user);
      conv.started = true; // a payment opens the private chat, as on Telegram
      const message = this.world.appendMessage(conv, {
        from: user,
        successful_payment: {
          currency: invoice.currency,
          total_amount: invoice.amount,
          invoice_payload: invoice.payload,
          telegram_payment_charge_id: charge.id,
          provider_payment_charge_id: charge.providerChargeId,
        },
      });
      this.world.deliverToBots(conv, message, 'message', bot);
      this.world.emit({ type: 'world' });
      return { status: 'paid', telegramPaymentChargeId: charge.id };
    } finally {
      this.paying.delete(key);
    }
  }

  private shortfall(invoice: Invoice, userId: number): string | undefined {
    const balance = this.balance(userId);
    if (balance >= invoice.amount) return undefined;
    return `not enough Stars: the invoice costs ${invoice.amount} ⭐ and the balance is ${balance} ⭐`;
  }

  /** Sends pre_checkout_query and waits for the answer, at most the deadline (no answer: the payment fails). */
  private askBot(bot: BotAccount, user: TgUser, invoice: Invoice): Promise<Answer> {
    const id = String(this.nextQueryId++);
    const seconds = this.options.preCheckoutTimeoutMs / 1000;
    return new Promise<Answer>((resolve) => {
      const timer = setTimeout(
        () => settle({ ok: false, reason: `the bot didn't confirm the order within ${seconds} s` }),
        this.options.preCheckoutTimeoutMs,
      );
      const settle = (answer: Answer) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(answer);
      };
      this.pending.set(id, { botId: bot.user.id, settle });
      bot.queue.push('pre_checkout_query', {
        id,
        from: user,
        currency: invoice.currency,
        total_amount: invoice.amount,
        invoice_payload: invoice.payload,
      });
    });
  }

  /** answerPreCheckoutQuery: settles a pending query of this bot; a late or unknown id is Telegram's error. */
  answerPreCheckout(bot: BotAccount, queryId: string, answer: Answer): void {
    const pending = this.pending.get(queryId);
    if (!pending || pending.botId !== bot.user.id)
      throw badRequest('query is too old and response timeout expired or query ID is invalid');
    pending.settle(answer);
  }

  private charge(invoice: Invoice, user: TgUser): Charge {
    this.balances.set(user.id, this.balance(user.id) - invoice.amount);
    const charge: Charge = {
      id: `stx${randomBytes(24).toString('base64url')}`,
      providerChargeId: `${user.id}_${this.nextProviderSeq++}`,
      botId: invoice.botId,
      userId: user.id,
      payload: invoice.payload,
      amount: invoice.amount,
    };
    this.charges.set(charge.id, charge);
    this.record(charge, 'source');
    return charge;
  }

  private record(charge: Charge, side: 'source' | 'receiver'): void {
    const partner: TransactionPartnerUser = {
      type: 'user',
      transaction_type: 'invoice_payment',
      user: this.world.requireUser(charge.userId),
      invoice_payload: charge.payload,
    };
    const list = this.ledger.get(charge.botId) ?? [];
    list.push({ id: charge.id, amount: charge.amount, date: now(), [side]: partner });
    this.ledger.set(charge.botId, list);
  }

  // ------------------------------------------------------------ refunds, reversals, transactions

  /** refundStarPayment: the whole charge goes back to the user, once. */
  refund(bot: BotAccount, userId: number, chargeId: string): void {
    if (!this.world.users.has(userId)) throw badRequest('USER_ID_INVALID');
    const charge = this.charges.get(chargeId);
    if (!charge || charge.botId !== bot.user.id || charge.userId !== userId)
      throw badRequest('CHARGE_NOT_FOUND');
    if (charge.refunded) throw badRequest('CHARGE_ALREADY_REFUNDED');
    // The refund notice is the bot's own message in the chat: bots don't get updates for their own messages.
    this.giveBack(charge, 'refund', bot.user);
  }

  /** Telegram reverses a charge on its own (a chargeback): the bot gets a refunded_payment message. */
  reverse(chargeId: string): TgMessage {
    const charge = this.charges.get(chargeId);
    if (!charge) throw new StarsError(404, `no charge ${chargeId}`);
    if (charge.refunded) throw new StarsError(409, `charge ${chargeId} was already refunded`);
    const bot = this.world.bots.get(charge.botId);
    if (!bot) throw new StarsError(404, `the bot of charge ${chargeId} is gone`);
    const message = this.giveBack(charge, 'reversal', this.world.requireUser(charge.userId));
    this.world.deliverToBots(this.world.privateConversation(bot, charge.userId), message, 'message', bot);
    return message;
  }

  private giveBack(charge: Charge, how: 'refund' | 'reversal', from: TgUser): TgMessage {
    const bot = this.world.bots.get(charge.botId) as BotAccount;
    charge.refunded = how;
    this.balances.set(charge.userId, this.balance(charge.userId) + charge.amount);
    this.record(charge, 'receiver');
    const message = this.world.appendMessage(this.world.privateConversation(bot, charge.userId), {
      from,
      refunded_payment: {
        currency: 'XTR',
        total_amount: charge.amount,
        invoice_payload: charge.payload,
        telegram_payment_charge_id: charge.id,
        provider_payment_charge_id: charge.providerChargeId,
      },
    });
    this.world.emit({ type: 'world' });
    return message;
  }

  /** getStarTransactions: the bot's transactions in chronological order. */
  transactions(bot: BotAccount, offset: number, limit: number): StarTransaction[] {
    return (this.ledger.get(bot.user.id) ?? []).slice(offset, offset + limit);
  }

  /** getMyStarBalance: what the bot holds (payments in, refunds out). */
  botBalance(bot: BotAccount): number {
    let total = 0;
    for (const t of this.ledger.get(bot.user.id) ?? []) total += t.source ? t.amount : -t.amount;
    return total;
  }

  chargeById(chargeId: string): Charge | undefined {
    return this.charges.get(chargeId);
  }

  /** Fails every payment still waiting for its bot (the emulator is closing). */
  close(): void {
    for (const pending of [...this.pending.values()])
      pending.settle({ ok: false, reason: 'the emulator closed' });
  }
}

const failed = (reason: string): PayResult => ({ status: 'failed', reason });
