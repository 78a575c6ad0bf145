import * as nodeCrypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { curves, nobleCurves, nodeCurves } from './curves';

const native = nodeCurves(nodeCrypto);
const sk = (n: number) => new Uint8Array(32).map((_, i) => (i * 37 + n) & 0xff);

describe('curves', () => {
  it('uses node:crypto in Node', () => {
    expect(curves).not.toBe(nobleCurves);
  });

  it('derives the same public keys and X25519 secrets as @noble/curves from the same raw keys', () => {
    const [a, b] = [sk(1), sk(2)];
    expect(native.x25519PublicKey(a)).toEqual(nobleCurves.x25519PublicKey(a));
    expect(native.ed25519PublicKey(a)).toEqual(nobleCurves.ed25519PublicKey(a));
    const shared = native.x25519SharedSecret(a, nobleCurves.x25519PublicKey(b));
    expect(shared).toEqual(nobleCurves.x25519SharedSecret(b, native.x25519PublicKey(a)));
    expect(shared).toHaveLength(32);
  });

  it('verifies signatures across the two implementations and rejects tampering', () => {
    const key = sk(3);
    const pub = nobleCurves.ed25519PublicKey(key);
    const msg = new TextEncoder().encode('cocoon/v1/receipt|job|rig');
    const sig = native.ed25519Sign(msg, key);
    expect(sig).toEqual(nobleCurves.ed25519Sign(msg, key)); // Ed25519 is deterministic
    expect(nobleCurves.ed25519Verify(sig, msg, pub)).toBe(true);
    expect(native.ed25519Verify(sig, msg, pub)).toBe(true);
    const forged = sig.slice();
    forged[5] ^= 1;
    expect(native.ed25519Verify(forged, msg, pub)).toBe(false);
    expect(native.ed25519Verify(sig.subarray(0, 63), msg, pub)).toBe(false);
    expect(native.ed25519Verify(sig, msg, new Uint8Array(31))).toBe(false);
  });

  it('refuses keys of the wrong length with a clear message', () => {
    expect(() => native.x25519SharedSecret(new Uint8Array(31), sk(1))).toThrow(/32 bytes, got 31/);
  });
});
