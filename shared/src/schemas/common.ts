import { z } from 'zod';
import { ed25519KeyB64Problem, x25519KeyB64Problem } from '../crypto/key-checks';

/** nanoTON on the wire: a decimal string of digits (JSON has no bigint). The one rule for amounts. */
export const NANO_DIGITS = /^\d{1,30}$/;
export const nanoString = z
  .string()
  .regex(NANO_DIGITS, 'must be a whole, non-negative number of nanoTON, as a string of digits');
/** A nanoString parsed to bigint (request bodies). */
export const nanoAmount = nanoString.transform((s) => BigInt(s));
/** A ledger movement: a nanoString that may be negative (a debit). */
export const signedNanoString = z
  .string()
  .regex(/^-?\d{1,30}$/, 'must be a whole number of nanoTON, as a string of digits');

/**
 * A price per 1,000 tokens in nanoTON, as a decimal string. A JSON number is refused: above 2^53 it has
 * already lost digits by the time it is parsed, so the ask would silently be another price.
 */
export const priceNanoPer1k = z.union([z.string(), z.number()]).transform((v, ctx) => {
  if (typeof v === 'number') {
    ctx.addIssue({
      code: 'custom',
      message: `must be a string of digits (nanoTON per 1,000 tokens), not a JSON number: send "${Number.isSafeInteger(v) && v >= 0 ? v : '1000000'}"`,
    });
    return z.NEVER;
  }
  const s = v;
  if (!/^\d{1,20}$/.test(s)) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be a non-negative whole number of nanoTON per 1,000 tokens',
    });
    return z.NEVER;
  }
  return BigInt(s);
});

export const modelId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, dot, dash and underscore only');

/** A model's content digest: sha256 (hex) over the canonical listing of its files (worker/src/models/digest.ts). */
export const modelDigest = z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 digest (64 hex digits)');
/** How a digest is shown: its first 12 hex digits. */
export const DIGEST_PREFIX_LENGTH = 12;
export const digestPrefix = z.string().regex(/^[0-9a-f]{12}$/);

export const jobKind = z.enum(['summarize', 'generate', 'chat']);
export type JobKind = z.infer<typeof jobKind>;

export const device = z.enum(['cuda', 'cpu']);
export type Device = z.infer<typeof device>;

export const uuid = z.string().uuid();
export const b64 = z
  .string()
  .max(8_000_000)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

/** A raw 32-byte public key in base64, checked by `problem` (its length; for X25519 not a low-order point). */
const publicKeyB64 = (problem: (b64: string) => string | null) =>
  z
    .string()
    .max(64, 'must be 32 bytes in base64 (44 characters)')
    .superRefine((s, ctx) => {
      if (s.length > 64) return;
      const why = problem(s);
      if (why) ctx.addIssue({ code: 'custom', message: why });
    });
/** A rig's X25519 key as it says it (hello): exactly 32 bytes, not a low-order point. */
export const x25519PublicKeyB64 = publicKeyB64(x25519KeyB64Problem);
/** A rig's Ed25519 key as it says it (hello): exactly 32 bytes. */
export const ed25519PublicKeyB64 = publicKeyB64(ed25519KeyB64Problem);
/**
 * A public key as the proxy shows it (quotes, evidence): bounded, not judged, so a bad one can't fail the
 * whole answer; the client leaves out a candidate it can't seal to.
 */
export const shownKeyB64 = b64.max(64);

/** Formats zod issues as `field: problem` lines, for 4xx bodies and start-up errors. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`).join('; ');
}
