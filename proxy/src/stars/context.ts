// What the Stars flows (purchases.ts, refunds.ts, reconcile.ts) share: the database, the Stars settings and
// Telegram, and how a failed Telegram call reaches the caller.
import type { Config } from '../config';
import type { Db } from '../db';
import { HttpError } from '../errors';
import { type ChargeRecord, TelegramError, type TelegramStarsApi } from './telegram';

export type StarsConfig = Pick<
  Config,
  | 'STARS_NANOTON_PER_STAR'
  | 'STARS_PACKS'
  | 'STARS_DAILY_CAP'
  | 'STARS_REFUND_WINDOW_MS'
  | 'STARS_EARNINGS_HOLD_MS'
>;

export interface StarsDeps {
  db: Db;
  config: StarsConfig;
  telegram: TelegramStarsApi;
}

/** A Telegram call that failed, as the caller's 502 (an HttpError passes through). */
export function telegramUnavailable(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const why = err instanceof TelegramError ? err.description : (err as Error).message;
  return new HttpError(502, 'telegram_unavailable', `Telegram could not be asked (${why}); try again`);
}

/** Telegram's record of a charge; a 502 when Telegram can't be read. */
export async function findCharge(s: StarsDeps, chargeId: string): Promise<ChargeRecord> {
  try {
    return await s.telegram.findCharge(chargeId);
  } catch (err) {
    throw telegramUnavailable(err);
  }
}

/** Telegram's answer to a refund: it refunded this charge before. */
export function alreadyRefunded(err: unknown): boolean {
  return err instanceof TelegramError && /CHARGE_ALREADY_REFUNDED/i.test(err.description);
}
