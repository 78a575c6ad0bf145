// What makes a public key one a rig may say in its hello and a client may seal to: exactly 32 raw bytes
// (base64 in the channel), and for X25519 a point of large order. A low-order point (the all-zero key among
// them) gives every party the same all-zero shared secret: node:crypto and @noble/curves refuse to derive
// one, so a client sealing to it would fail the whole envelope. The check is done where a key arrives (the
// proxy's hello) and again where it is used (the client leaves such a candidate out).
import { fromBase64 } from '../bytes';

export const PUBLIC_KEY_BYTES = 32;
/** The base64 of 32 bytes: 43 characters and one '='. */
export const PUBLIC_KEY_B64_LENGTH = 44;

const P = 2n ** 255n - 19n;
/**
 * The u-coordinates (mod p) of the points of order 1, 2, 4 and 8 on Curve25519 and its twist: 0, 1, p − 1
 * and the two of order 8 (the list libsodium refuses). Every other encoding of them (the top bit set, or
 * u + p) reduces to one of these.
 */
const SMALL_ORDER_U = new Set<bigint>([
  0n,
  1n,
  P - 1n,
  0x00b8495f16056286fdb1329ceb8d09da6ac49ff1fae35616aeb8413b7c7aebe0n,
  0x57119fd0dd4e22d8868e1c58c45c44045bef839c55b1d0b1248c50a3bc959c5fn,
]);

/** The u-coordinate as RFC 7748 decodes it: little-endian, the top bit ignored, reduced mod p. */
function decodeU(raw: Uint8Array): bigint {
  let u = 0n;
  for (let i = raw.length - 1; i >= 0; i--) u = (u << 8n) | BigInt(i === 31 ? raw[i] & 0x7f : raw[i]);
  return u % P;
}

/** Why these bytes can't be an X25519 public key to seal to, or null when they can. */
export function x25519KeyProblem(raw: Uint8Array): string | null {
  if (raw.length !== PUBLIC_KEY_BYTES) return `must be ${PUBLIC_KEY_BYTES} bytes, got ${raw.length}`;
  if (SMALL_ORDER_U.has(decodeU(raw))) return 'is a low-order point (no shared secret can be derived)';
  return null;
}

/** Decodes a base64 key of exactly 32 bytes; the problem in words when it isn't one. */
function decodeKey(b64: string): { raw: Uint8Array } | { problem: string } {
  if (b64.length !== PUBLIC_KEY_B64_LENGTH || !/^[A-Za-z0-9+/]{43}=$/.test(b64)) {
    return { problem: `must be ${PUBLIC_KEY_BYTES} bytes in base64 (${PUBLIC_KEY_B64_LENGTH} characters)` };
  }
  return { raw: fromBase64(b64) };
}

/** Why this base64 X25519 public key can't be sealed to, or null. */
export function x25519KeyB64Problem(b64: string): string | null {
  const key = decodeKey(b64);
  return 'problem' in key ? key.problem : x25519KeyProblem(key.raw);
}

/** Why this base64 Ed25519 public key can't be one (its length), or null. */
export function ed25519KeyB64Problem(b64: string): string | null {
  const key = decodeKey(b64);
  return 'problem' in key ? key.problem : null;
}
