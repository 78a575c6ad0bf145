import { describe, expect, it } from 'vitest';
import { MAX_CONTEXT_LENGTH, servedModel } from '../contract/worker-channel';
import { newEd25519KeyPair, newX25519KeyPair } from '../crypto/keys';
import { ed25519PublicKeyB64, priceNanoPer1k, x25519PublicKeyB64 } from './common';

describe('priceNanoPer1k', () => {
  it('takes decimal strings, exactly, even above 2^53', () => {
    expect(priceNanoPer1k.parse('12345678901234567890')).toBe(12345678901234567890n);
    expect(priceNanoPer1k.parse('0')).toBe(0n);
  });

  it('refuses JSON numbers, which lose digits before anyone can check them', () => {
    // 12345678901234567890 as a JSON number parses to 12345678901234567000: another price.
    const r = priceNanoPer1k.safeParse(JSON.parse('12345678901234567890'));
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].message).toMatch(/not a JSON number/);
    expect(priceNanoPer1k.safeParse(1000).success).toBe(false);
    for (const bad of ['-5', '1.5', 'abc', '']) expect(priceNanoPer1k.safeParse(bad).success).toBe(false);
  });
});

describe('public keys in a hello', () => {
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  it('are exactly 32 bytes; an X25519 key is not a low-order point in any encoding', () => {
    const good = b64(newX25519KeyPair().publicKey);
    expect(x25519PublicKeyB64.safeParse(good).success).toBe(true);
    expect(ed25519PublicKeyB64.safeParse(b64(newEd25519KeyPair().publicKey)).success).toBe(true);
    const order8 = Buffer.from('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157', 'hex');
    const order8High = Buffer.from(order8);
    order8High[31] |= 0x80;
    const pPlusOne = Buffer.from(`eeff${'ff'.repeat(29)}7f`, 'hex');
    for (const bad of [new Uint8Array(32), order8, order8High, pPlusOne]) {
      const r = x25519PublicKeyB64.safeParse(b64(bad));
      expect(r.success).toBe(false);
      expect(r.error?.issues[0].message).toMatch(/low-order/);
    }
    for (const bad of [
      b64(new Uint8Array(31)),
      b64(new Uint8Array(33)),
      'A'.repeat(3_000_000),
      'not base64!',
    ]) {
      expect(x25519PublicKeyB64.safeParse(bad).success).toBe(false);
      expect(ed25519PublicKeyB64.safeParse(bad).success).toBe(false);
    }
  });
});

describe('a served model in a hello', () => {
  const model = { id: 'demo-gen', kinds: ['generate'], contextLength: 4096 };
  it("bounds what a rig controls: a kinds list past the kinds there are, a context length past an int4's", () => {
    expect(servedModel.safeParse(model).success).toBe(true);
    expect(servedModel.safeParse({ ...model, contextLength: MAX_CONTEXT_LENGTH }).success).toBe(true);
    expect(servedModel.safeParse({ ...model, contextLength: 2 ** 31 }).success).toBe(false);
    expect(servedModel.safeParse({ ...model, contextLength: 1e300 }).success).toBe(false);
    const many = Array.from({ length: 300_000 }, () => 'generate');
    expect(servedModel.safeParse({ ...model, kinds: many }).success).toBe(false);
  });
});
