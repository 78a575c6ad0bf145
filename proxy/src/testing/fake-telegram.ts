// A small real HTTP server that answers the Bot API's Stars methods as Telegram does (getStarTransactions,
// refundStarPayment, createInvoiceLink), for the proxy's Stars tests. Why not the Bot API emulator: it gains
// these methods on another branch (emustars) at the same time as this code is written; until it lands here,
// this keeps Telegram's records (payments, refunds) so the proxy's own confirmation calls go over real HTTP
// to something that can say no. Only the tests import it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StarTransaction } from '../stars/telegram';

export interface FakeTelegram {
  url: string;
  /** A user pays an invoice: Telegram's payment record, and its charge id. */
  pay(userId: number, payload: string, stars: number): string;
  /** `n` other payments to the bot, as a busy bot's history has (charge ids stxOLD<i>). */
  pad(n: number): void;
  /** Telegram reverses a charge on its own (a refunded_payment follows). */
  reverse(chargeId: string): void;
  /** Makes refundStarPayment fail (as when Telegram is down) until set back. */
  failRefunds: boolean;
  /** Makes refundStarPayment refund the charge but answer an error (the answer lost on the way back). */
  loseRefundAnswers: boolean;
  /** Lists transactions newest first (Telegram's docs say chronological; the proxy copes with both). */
  newestFirst: boolean;
  /** Every Bot API method called, in order. */
  calls: string[];
  close(): Promise<void>;
}

export async function startFakeTelegram(token: string): Promise<FakeTelegram> {
  const txs: StarTransaction[] = [];
  let next = 1;
  const user = (id: number) => ({ id, is_bot: false, first_name: `User${id}` });
  const paymentOf = (chargeId: string) => txs.find((t) => t.id === chargeId && t.source);
  const refundOf = (chargeId: string) => txs.find((t) => t.id === chargeId && t.receiver);
  const addRefund = (chargeId: string) => {
    const p = paymentOf(chargeId)!;
    const source = p.source as { user: { id: number }; invoice_payload?: string };
    txs.push({
      id: chargeId,
      amount: p.amount,
      date: Math.floor(Date.now() / 1000),
      receiver: { type: 'user', user: user(source.user.id), invoice_payload: source.invoice_payload },
    });
  };

  const answer = (method: string, params: Record<string, unknown>): { ok: boolean; [k: string]: unknown } => {
    switch (method) {
      case 'getStarTransactions': {
        const offset = Number(params.offset ?? 0);
        const limit = Number(params.limit ?? 100);
        if (!(limit >= 1 && limit <= 100)) return { ok: false, description: 'Bad Request: limit is invalid' };
        const listed = fake.newestFirst ? [...txs].reverse() : txs;
        return { ok: true, result: { transactions: listed.slice(offset, offset + limit) } };
      }
      case 'refundStarPayment': {
        if (fake.failRefunds) return { ok: false, description: 'Internal Server Error' };
        const chargeId = String(params.telegram_payment_charge_id);
        const p = paymentOf(chargeId);
        if (!p || (p.source as { user: { id: number } }).user.id !== Number(params.user_id))
          return { ok: false, description: 'Bad Request: CHARGE_NOT_FOUND' };
        if (refundOf(chargeId)) return { ok: false, description: 'Bad Request: CHARGE_ALREADY_REFUNDED' };
        addRefund(chargeId);
        if (fake.loseRefundAnswers) return { ok: false, description: 'Gateway Timeout' };
        return { ok: true, result: true };
      }
      case 'createInvoiceLink': {
        const prices = params.prices as Array<{ amount: number }>;
        if (params.currency !== 'XTR' || prices?.length !== 1)
          return { ok: false, description: 'Bad Request: currency must be XTR with one price' };
        if (Buffer.byteLength(String(params.payload)) > 128)
          return { ok: false, description: 'Bad Request: payload is too long' };
        return { ok: true, result: `https://t.me/$invoice-${next++}` };
      }
      default:
        return { ok: false, description: `Not Found: method ${method}` };
    }
  };

  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const m = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      if (!m || m[1] !== token) {
        res.statusCode = 401;
        res.end(JSON.stringify({ ok: false, description: 'Unauthorized' }));
        return;
      }
      fake.calls.push(m[2]);
      res.end(JSON.stringify(answer(m[2], body ? JSON.parse(body) : {})));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const fake: FakeTelegram = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    failRefunds: false,
    loseRefundAnswers: false,
    newestFirst: false,
    calls: [],
    pay(userId, payload, stars) {
      const id = `stxFAKE${next++}`;
      txs.push({
        id,
        amount: stars,
        date: Math.floor(Date.now() / 1000),
        source: { type: 'user', user: user(userId), invoice_payload: payload },
      });
      return id;
    },
    pad(n) {
      const date = Math.floor(Date.now() / 1000);
      for (let i = 0; i < n; i++)
        txs.push({
          id: `stxOLD${i}`,
          amount: 1,
          date,
          source: { type: 'user', user: user(1), invoice_payload: 'cs_other' },
        });
    },
    reverse(chargeId) {
      addRefund(chargeId);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return fake;
}
