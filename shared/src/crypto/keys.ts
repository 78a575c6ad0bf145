// Key pairs for rigs and clients: X25519 for sealing, Ed25519 for signing usage receipts.
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { toHex } from '../bytes';
import { curves } from './curves';

export interface KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export function newX25519KeyPair(): KeyPair {
  const secretKey = randomBytes(32);
  return { secretKey, publicKey: curves.x25519PublicKey(secretKey) };
}

export function newEd25519KeyPair(): KeyPair {
  const secretKey = randomBytes(32);
  return { secretKey, publicKey: curves.ed25519PublicKey(secretKey) };
}

export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
  return curves.x25519PublicKey(secretKey);
}

export function ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
  return curves.ed25519PublicKey(secretKey);
}

/** A short human-checkable fingerprint of public keys, shown by the worker and the Mini App. */
export function keyFingerprint(...publicKeys: Uint8Array[]): string {
  const h = sha256(new Uint8Array(publicKeys.flatMap((k) => Array.from(k))));
  return toHex(h.subarray(0, 8)).match(/.{4}/g)?.join(':') ?? '';
}
