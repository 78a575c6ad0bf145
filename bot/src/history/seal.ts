// Seals chat messages before they leave the bot: XChaCha20-Poly1305 with a key derived from HISTORY_KEY.
// The chat and message ids are the associated data, so a row moved to another chat or message won't open.

import { concatBytes, fromBase64, toBase64, utf8 } from '@cocoon/shared';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';

const NONCE_BYTES = 24;
const plain = z.object({
  a: z.string().max(256),
  t: z.string().max(20_000),
  /** The id of the message this one replies to (sealed: the proxy doesn't learn who answers whom). */
  r: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
});
export type HistoryText = { author: string; text: string; replyTo?: number };

export function historyKey(secret: string): Uint8Array {
  return hkdf(sha256, utf8.encode(secret), utf8.encode('cocoon-bot-history'), utf8.encode('v1'), 32);
}

const aad = (chatId: number, messageId: number) => utf8.encode(`cocoon-history:v1:${chatId}:${messageId}`);

export function sealMessage(key: Uint8Array, chatId: number, messageId: number, m: HistoryText): string {
  const nonce = randomBytes(NONCE_BYTES);
  const body = utf8.encode(
    JSON.stringify(
      m.replyTo === undefined ? { a: m.author, t: m.text } : { a: m.author, t: m.text, r: m.replyTo },
    ),
  );
  const ct = xchacha20poly1305(key, nonce, aad(chatId, messageId)).encrypt(body);
  return toBase64(concatBytes(nonce, ct));
}

/** Opens a sealed message; throws when the key, chat or message id don't match. */
export function openMessage(key: Uint8Array, chatId: number, messageId: number, sealed: string): HistoryText {
  const bytes = fromBase64(sealed);
  if (bytes.length <= NONCE_BYTES) throw new Error('sealed message is too short');
  const pt = xchacha20poly1305(key, bytes.subarray(0, NONCE_BYTES), aad(chatId, messageId)).decrypt(
    bytes.subarray(NONCE_BYTES),
  );
  const m = plain.parse(JSON.parse(utf8.decode(pt)));
  return m.r === undefined ? { author: m.a, text: m.t } : { author: m.a, text: m.t, replyTo: m.r };
}
