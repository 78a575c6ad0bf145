// X25519 and Ed25519 with raw 32-byte keys, for every package. In Node the work goes to OpenSSL through
// node:crypto (about 40× faster than pure JS: a proxy checks a receipt signature per job, a client derives
// shared secrets per job); in the browser, where there is no node:crypto, @noble/curves does it. Both are
// RFC 7748 / RFC 8032 on the same raw key bytes, so either side can talk to the other.
import { ed25519, x25519 } from '@noble/curves/ed25519.js';

export interface Curves {
  x25519PublicKey(secretKey: Uint8Array): Uint8Array;
  x25519SharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  ed25519PublicKey(secretKey: Uint8Array): Uint8Array;
  ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

export const nobleCurves: Curves = {
  x25519PublicKey: (sk) => x25519.getPublicKey(sk),
  x25519SharedSecret: (sk, pk) => x25519.getSharedSecret(sk, pk),
  ed25519PublicKey: (sk) => ed25519.getPublicKey(sk),
  ed25519Sign: (m, sk) => ed25519.sign(m, sk),
  ed25519Verify: (sig, m, pk) => ed25519.verify(sig, m, pk),
};

type NodeCrypto = typeof import('node:crypto');

const JWK_CURVE = { x25519: 'X25519', ed25519: 'Ed25519' } as const;
const b64url = (raw: Uint8Array) => Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('base64url');

/** A small map that forgets everything when full: key objects are cheap to rebuild, memory is not free. */
function boundedCache<V>(limit: number, make: (id: string) => V): (id: string) => V {
  const map = new Map<string, V>();
  return (id) => {
    let v = map.get(id);
    if (v === undefined) {
      v = make(id);
      if (map.size >= limit) map.clear();
      map.set(id, v);
    }
    return v;
  };
}

export function nodeCurves(c: NodeCrypto): Curves {
  type Curve = keyof typeof JWK_CURVE;
  // Keys go in and out as JWK: OpenSSL's DER decoders cost ~0.7 ms a key, the raw-key JWK path ~0.07 ms.
  // A private JWK must carry "x", but Node builds the key from "d" alone (the public half is derived;
  // curves.test.ts checks it against @noble/curves), so a placeholder serves.
  const placeholder = b64url(new Uint8Array(32));
  // The same keys come back job after job (a rig's own secret keys, the rigs' public keys a client seals
  // for, the keys a proxy checks receipts with): keep the parsed ones.
  const secretKeys = boundedCache(256, (id) => {
    const [curve, d] = id.split(':') as [Curve, string];
    return c.createPrivateKey({
      key: { kty: 'OKP', crv: JWK_CURVE[curve], d, x: placeholder },
      format: 'jwk',
    });
  });
  const publicKeys = boundedCache(4096, (id) => {
    const [curve, x] = id.split(':') as [Curve, string];
    return c.createPublicKey({ key: { kty: 'OKP', crv: JWK_CURVE[curve], x }, format: 'jwk' });
  });
  const rawPublicKeys = boundedCache(256, (id) => {
    const x = c.createPublicKey(secretKeys(id)).export({ format: 'jwk' }).x!;
    return new Uint8Array(Buffer.from(x, 'base64url'));
  });
  const keyId = (curve: Curve, kind: string, raw: Uint8Array) => {
    if (raw.length !== 32) throw new Error(`${curve} ${kind} key must be 32 bytes, got ${raw.length}`);
    return `${curve}:${b64url(raw)}`;
  };
  return {
    x25519PublicKey: (sk) => rawPublicKeys(keyId('x25519', 'secret', sk)).slice(),
    x25519SharedSecret: (sk, pk) =>
      new Uint8Array(
        c.diffieHellman({
          privateKey: secretKeys(keyId('x25519', 'secret', sk)),
          publicKey: publicKeys(keyId('x25519', 'public', pk)),
        }),
      ),
    ed25519PublicKey: (sk) => rawPublicKeys(keyId('ed25519', 'secret', sk)).slice(),
    ed25519Sign: (m, sk) => new Uint8Array(c.sign(null, m, secretKeys(keyId('ed25519', 'secret', sk)))),
    ed25519Verify: (sig, m, pk) => {
      if (sig.length !== 64) return false;
      try {
        return c.verify(null, m, publicKeys(keyId('ed25519', 'public', pk)), sig);
      } catch {
        return false;
      }
    },
  };
}

// process.getBuiltinModule (Node ≥ 20.16) loads node:crypto synchronously without a static import, so the
// browser bundle never asks for it.
const builtin = (
  globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
).process?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;

export const curves: Curves = builtin ? nodeCurves(builtin) : nobleCurves;
