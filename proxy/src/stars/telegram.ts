// The proxy's own calls to Telegram's Bot API for Stars, with its own BOT_TOKEN at TELEGRAM_API_ROOT: it
// confirms each charge (getStarTransactions) before it credits anything, refunds charges
// (refundStarPayment), and makes invoice links for the Mini App (createInvoiceLink). The bot's word alone is
// never enough: its service key can act for any user, so a "credit this user" call behind it would mint money.
import { STARS_CURRENCY } from '@cocoon/shared';
import { z } from 'zod';

/** How long one Bot API call may take. */
const CALL_TIMEOUT_MS = 10_000;
/** The largest Bot API answer read (100 transactions are far below it). */
const MAX_ANSWER_BYTES = 2_000_000;
/** getStarTransactions' page size (Telegram's largest). */
const PAGE = 100;
/** The most pages read looking for one charge: the bot's newest 10,000 Star transactions. */
const MAX_PAGES = 100;

const partnerUser = z.object({
  type: z.literal('user'),
  user: z.object({ id: z.number().int() }),
  invoice_payload: z.string().optional(),
});
const partner = z.union([partnerUser, z.object({ type: z.string() })]);

/** Telegram's StarTransaction, as far as the proxy reads it. */
const starTransaction = z.object({
  id: z.string(),
  amount: z.number().int(),
  date: z.number().int(),
  source: partner.optional(),
  receiver: partner.optional(),
});
export type StarTransaction = z.infer<typeof starTransaction>;

const starTransactions = z.object({ transactions: z.array(starTransaction).max(PAGE) });

/** A Bot API call that answered `ok: false` (e.g. CHARGE_ALREADY_REFUNDED), or could not be made. */
export class TelegramError extends Error {
  constructor(
    readonly method: string,
    readonly description: string,
  ) {
    super(`Telegram ${method}: ${description}`);
    this.name = 'TelegramError';
  }
}

/** A charge as Telegram's transactions show it: the payment, and its refund if there is one. */
export interface ChargeRecord {
  payment: (StarTransaction & { source: z.infer<typeof partnerUser> }) | null;
  refund: (StarTransaction & { receiver: z.infer<typeof partnerUser> }) | null;
}

export class TelegramStarsApi {
  private readonly base: string;

  constructor(
    root: string,
    token: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.base = `${root.replace(/\/$/, '')}/bot${token}`;
  }

  private async call(method: string, params: Record<string, unknown>): Promise<unknown> {
    let text: string;
    try {
      const res = await this.fetchImpl(`${this.base}/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(params),
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
      text = await res.text();
    } catch (err) {
      throw new TelegramError(method, `unreachable (${(err as Error).message})`);
    }
    if (text.length > MAX_ANSWER_BYTES) throw new TelegramError(method, 'answer too large');
    let body: { ok?: boolean; result?: unknown; description?: string };
    try {
      body = JSON.parse(text);
    } catch {
      throw new TelegramError(method, 'answer is not JSON');
    }
    if (!body.ok) throw new TelegramError(method, String(body.description ?? 'failed').slice(0, 200));
    return body.result;
  }

  async getStarTransactions(offset: number, limit = PAGE): Promise<StarTransaction[]> {
    const r = starTransactions.safeParse(await this.call('getStarTransactions', { offset, limit }));
    if (!r.success) throw new TelegramError('getStarTransactions', 'unexpected answer');
    return r.data.transactions;
  }

  /**
   * The bot's transactions for one charge id: the user's payment (its `source` a user) and a refund of it
   * (the same id, its `receiver` that user). Telegram lists them oldest first, so the newest are read first:
   * from the end of the list back, up to the last MAX_PAGES × 100. Reading from the start instead cost a call
   * per 100 transactions on every report and never reached a charge past the first 10,000: a busy bot's new
   * payments could not be confirmed at all (the users' Stars taken, nothing credited).
   */
  async findCharge(chargeId: string): Promise<ChargeRecord> {
    const found: ChargeRecord = { payment: null, refund: null };
    const count = await this.transactionCount();
    let end = count;
    for (let page = 0; page < MAX_PAGES && end > 0; page++) {
      // The second read is the list's head: were Telegram to list newest first after all (its docs say
      // chronological), a new charge is there, and one call more finds it.
      const head = page === 1 && count > 2 * PAGE;
      const start = head ? 0 : Math.max(0, end - PAGE);
      const stop = head ? PAGE : end;
      const txs = await this.getStarTransactions(start, stop - start);
      for (const t of txs) {
        if (t.id !== chargeId) continue;
        const source = partnerUser.safeParse(t.source);
        const receiver = partnerUser.safeParse(t.receiver);
        if (source.success) found.payment = { ...t, source: source.data };
        if (receiver.success) found.refund = { ...t, receiver: receiver.data };
      }
      // A refund comes after its payment: with the payment found, everything newer has been read (in either
      // order, from the end read first or the head read so far).
      if (found.payment) break;
      if (!head) end = start;
    }
    return found;
  }

  /**
   * The bot's newest transactions, read from the end of the list back (as findCharge does): at most
   * `maxPages` pages, none begun after `deadline` (ms), and none older than the page that reaches back past
   * `sinceSec` (Unix seconds). Users' payments (`payments`, with their payload) and the charge ids refunded.
   */
  async recentPayments(
    maxPages: number,
    sinceSec: number,
    deadline: number,
  ): Promise<{ payments: NonNullable<ChargeRecord['payment']>[]; refunded: Set<string> }> {
    const payments: NonNullable<ChargeRecord['payment']>[] = [];
    const refunded = new Set<string>();
    let end = await this.transactionCount();
    for (let page = 0; page < maxPages && end > 0 && Date.now() < deadline; page++) {
      const start = Math.max(0, end - PAGE);
      const txs = await this.getStarTransactions(start, end - start);
      for (const t of txs) {
        const source = partnerUser.safeParse(t.source);
        if (source.success) payments.push({ ...t, source: source.data });
        if (partnerUser.safeParse(t.receiver).success) refunded.add(t.id);
      }
      if (txs.length === 0 || Math.min(...txs.map((t) => t.date)) < sinceSec) break;
      end = start;
    }
    return { payments, refunded };
  }

  /** The count last seen: the list only grows, so the next count is looked for from here. */
  private knownCount = 0;

  /**
   * How many transactions the bot has: pages from the count last seen, doubling the step until a page is
   * short, then halving the gap (a couple of calls when little has changed, O(log n) from nothing).
   */
  private async transactionCount(): Promise<number> {
    let lo = Math.floor(this.knownCount / PAGE) * PAGE;
    let txs = await this.getStarTransactions(lo);
    if (lo > 0 && txs.length === 0) {
      // Shorter than last seen (not Telegram's behaviour, but never trust a hint): from the start.
      lo = 0;
      txs = await this.getStarTransactions(0);
    }
    // lo: a page offset whose page is full (when txs.length === PAGE); find the first short page after it.
    let step = PAGE;
    let hi = lo;
    let short = txs;
    while (short.length === PAGE) {
      lo = hi;
      hi = lo + step;
      step *= 2;
      short = await this.getStarTransactions(hi);
    }
    // The page at `hi` is short (possibly empty) and the one at `lo` full (or lo === hi): narrow the gap.
    while (hi - lo > PAGE) {
      const mid = lo + Math.floor((hi - lo) / PAGE / 2) * PAGE;
      const page = await this.getStarTransactions(mid);
      if (page.length === PAGE) lo = mid;
      else {
        hi = mid;
        short = page;
      }
    }
    this.knownCount = hi + short.length;
    return this.knownCount;
  }

  async refundStarPayment(userId: number, chargeId: string): Promise<void> {
    await this.call('refundStarPayment', { user_id: userId, telegram_payment_charge_id: chargeId });
  }

  async createInvoiceLink(i: { title: string; description: string; payload: string; stars: number }) {
    const link = await this.call('createInvoiceLink', {
      title: i.title,
      description: i.description,
      payload: i.payload,
      currency: STARS_CURRENCY,
      prices: [{ label: i.title, amount: i.stars }],
    });
    if (typeof link !== 'string' || link.length > 2048)
      throw new TelegramError('createInvoiceLink', 'unexpected answer');
    return link;
  }
}
