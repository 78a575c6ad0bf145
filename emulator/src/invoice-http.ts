// The payment sheet over HTTP, what Telegram's app shows for an invoice: the web chat's Pay button and the Mini
// App in local mode (it opens createInvoiceLink's link) use it. CORS is open to local origins only, so a page
// served by the Mini App's dev server or the proxy on another port can pay.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ControlError, jsonBody } from './body';
import { type Stars, StarsError } from './stars';

const sheetPath = /^\/invoice\/([A-Za-z0-9_-]{1,64})(\/pay)?\/?$/;
const localOrigin = /^https?:\/\/(localhost|127(?:\.\d{1,3}){3}|\[::1\])(:\d{1,5})?$/i;
const payBody = z.object({ userId: z.number().int().positive() });

export function isInvoiceSheetPath(pathname: string): boolean {
  return sheetPath.test(pathname);
}

function corsHeaders(origin: string | undefined): Record<string, string> {
  if (!origin || !localOrigin.test(origin)) return {};
  return { 'access-control-allow-origin': origin, vary: 'Origin' };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
  });
  res.end(payload);
}

/**
 * GET /invoice/:slug → { slug, title, description, currency, totalAmount };
 * POST /invoice/:slug/pay { userId } → { status: "paid", telegramPaymentChargeId } | { status: "failed", reason }.
 */
export async function handleInvoiceSheet(
  stars: Stars,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const match = sheetPath.exec(url.pathname);
  if (!match) throw new Error('not a payment sheet path');
  const [, slug, pay] = match;
  const cors = corsHeaders(req.headers.origin);
  if (req.method === 'OPTIONS') {
    res.writeHead(204, {
      ...cors,
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': 'content-type',
      'access-control-max-age': '600',
    });
    res.end();
    return;
  }
  try {
    if (!pay && req.method === 'GET') {
      const invoice = stars.invoice(slug);
      const { title, description, currency, amount } = invoice;
      send(res, 200, { slug, title, description, currency, totalAmount: amount }, cors);
    } else if (pay && req.method === 'POST') {
      const body = await jsonBody(req, payBody);
      send(res, 200, await stars.pay(slug, body.userId), cors);
    } else {
      send(res, 405, { error: 'use GET /invoice/:slug or POST /invoice/:slug/pay' }, cors);
    }
  } catch (err) {
    const status = err instanceof StarsError || err instanceof ControlError ? err.status : 400;
    if (!res.headersSent) send(res, status, { error: (err as Error).message }, cors);
  }
}
