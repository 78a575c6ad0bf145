// Key pairs for rigs and clients: X25519 for sealing, Ed25519 for signing usage receipts.
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../bytes';

export interface KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export function newX25519KeyPair(): KeyPair {
  const { secretKey, publicKey } = x25519.keygen();
  return { secretKey, publicKey };
}

export function newEd25519KeyPair(): KeyPair {
  const { secretKey, publicKey } = ed25519.keygen();
  return { secretKey, publicKey };
}

export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secretKey);
}

export function ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(secretKey);
}

/** A short human-checkable fingerprint of public keys, shown by the worker and the Mini App. */
export function keyFingerprint(...publicKeys: Uint8Array[]): string {
  const h = sha256(new Uint8Array(publicKeys.flatMap((k) => Array.from(k))));
  return toHex(h.subarray(0, 8)).match(/.{4}/g)?.join(':') ?? '';
}
