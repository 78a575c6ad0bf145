// Telegram Mini App initData: the documented HMAC-SHA256 check
// (https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app).
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { z } from 'zod';
import { toHex, utf8 } from './bytes';

export const telegramUser = z.object({
  id: z.number().int().positive(),
  first_name: z.string(),
  last_name: z.string().optional(),
  username: z.string().optional(),
  language_code: z.string().optional(),
});
export type TelegramUser = z.infer<typeof telegramUser>;

function secretKey(botToken: string): Uint8Array {
  return hmac(sha256, utf8.encode('WebAppData'), utf8.encode(botToken));
}

function dataCheckString(params: URLSearchParams): string {
  return [...params.entries()]
    .filter(([k]) => k !== 'hash')
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join('\n');
}

function timingSafeEqualHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export type InitDataResult =
  | { ok: true; user: TelegramUser; authDate: Date }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' | 'from_the_future' | 'no_user' };

/** How far ahead of this clock an auth_date may be (Telegram's clock and ours differ a little). */
export const MAX_CLOCK_SKEW_S = 300;

/** Checks initData's signature with the bot token and that it is at most `maxAgeSeconds` old. */
export function validateInitData(
  raw: string,
  botToken: string,
  maxAgeSeconds: number,
  now: Date = new Date(),
): InitDataResult {
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(raw);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const hash = params.get('hash');
  const authDate = Number(params.get('auth_date'));
  if (!hash || !/^[0-9a-f]{64}$/.test(hash) || !Number.isInteger(authDate))
    return { ok: false, reason: 'malformed' };
  const expected = toHex(hmac(sha256, secretKey(botToken), utf8.encode(dataCheckString(params))));
  if (!timingSafeEqualHex(expected, hash)) return { ok: false, reason: 'bad_signature' };
  const age = now.getTime() / 1000 - authDate;
  if (age > maxAgeSeconds) return { ok: false, reason: 'expired' };
  // Signed for a moment that hasn't come (beyond clock skew): it would never expire.
  if (age < -MAX_CLOCK_SKEW_S) return { ok: false, reason: 'from_the_future' };
  let user: TelegramUser;
  try {
    user = telegramUser.parse(JSON.parse(params.get('user') ?? 'null'));
  } catch {
    return { ok: false, reason: 'no_user' };
  }
  return { ok: true, user, authDate: new Date(authDate * 1000) };
}

/** Signs initData the way Telegram does. For tests and the dev-only mocked Telegram environment. */
export function signInitData(
  fields: { user: TelegramUser; auth_date?: number; query_id?: string; [k: string]: unknown },
  botToken: string,
): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ auth_date: Math.floor(Date.now() / 1000), ...fields })) {
    if (v === undefined) continue;
    params.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  }
  params.set('hash', toHex(hmac(sha256, secretKey(botToken), utf8.encode(dataCheckString(params)))));
  return params.toString();
}
