// The Stars buttons' callback_data: short, fixed shapes, parsed strictly (a client can send any 64 bytes).
import { z } from 'zod';

/** Telegram's own bound on callback_data. */
export const CALLBACK_DATA_MAX_BYTES = 64;
/** The largest pack a button may name; the proxy decides which packs exist. */
export const MAX_PACK_STARS = 1_000_000;

const buyData = /^stars:buy:([1-9]\d{0,6})$/;
const refundData = /^stars:refund:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const purchaseId = z.string().uuid();

export const BUY_DATA_PATTERN = /^stars:buy:/;
export const REFUND_DATA_PATTERN = /^stars:refund:/;

export function buyCallbackData(stars: number): string {
  if (!Number.isSafeInteger(stars) || stars < 1 || stars > MAX_PACK_STARS)
    throw new RangeError(`a pack of 1 to ${MAX_PACK_STARS} Stars, not ${stars}`);
  return `stars:buy:${stars}`;
}

export function refundCallbackData(id: string): string {
  return `stars:refund:${purchaseId.parse(id.toLowerCase())}`;
}

/** The pack a buy button names, or null for anything else. */
export function parseBuyData(data: string | undefined): number | null {
  if (!data || data.length > CALLBACK_DATA_MAX_BYTES) return null;
  const m = buyData.exec(data);
  if (!m) return null;
  const stars = Number(m[1]);
  return stars <= MAX_PACK_STARS ? stars : null;
}

/** The purchase a refund button names, or null for anything else. */
export function parseRefundData(data: string | undefined): string | null {
  if (!data || data.length > CALLBACK_DATA_MAX_BYTES) return null;
  return refundData.exec(data)?.[1] ?? null;
}
