import { Address, beginCell } from '@ton/core';
import { describe, expect, it } from 'vitest';
import { newKeyPair } from './testing';
import {
  earningsVoucherCell,
  signEarningsVoucher,
  signSpendVoucher,
  signWithdrawalVoucher,
  spendVoucherCell,
  TAG_SPEND,
  verifyEarningsVoucher,
  verifySpendVoucher,
  verifyWithdrawalVoucher,
} from './vouchers';

const vault = Address.parse('EQBRxpmoXXc20zueNGqdLsnFWm2uS4h0g1Hp6j48M3pPlW9u');
const account = Address.parse('EQDKbv_N1Jky2rphCtXqX-wukEOiaVOxQ0NRqZVE0RzhN3He');

describe('vouchers', () => {
  it('lays out the spend voucher as the doc says', () => {
    const cell = spendVoucherCell({ vault, account, amount: 5n, seq: 7n });
    const expected = beginCell()
      .storeUint(TAG_SPEND, 32)
      .storeAddress(vault)
      .storeAddress(account)
      .storeCoins(5n)
      .storeUint(7n, 64)
      .endCell();
    expect(cell.hash().equals(expected.hash())).toBe(true);
  });

  it('signs and verifies each kind; any change, another key or another kind fails', () => {
    const k = newKeyPair();
    const other = newKeyPair();
    const spend = { vault, account, amount: 10n, seq: 1n };
    const sig = signSpendVoucher(spend, k.secretKey);
    expect(verifySpendVoucher(spend, sig, k.publicKey)).toBe(true);
    expect(verifySpendVoucher({ ...spend, amount: 11n }, sig, k.publicKey)).toBe(false);
    expect(verifySpendVoucher({ ...spend, seq: 2n }, sig, k.publicKey)).toBe(false);
    expect(verifySpendVoucher({ ...spend, account: vault }, sig, k.publicKey)).toBe(false);
    expect(verifySpendVoucher(spend, sig, other.publicKey)).toBe(false);
    // The same fields under the earnings tag are a different message.
    expect(
      verifyEarningsVoucher({ vault, rigAccount: account, amount: 10n, seq: 1n }, sig, k.publicKey),
    ).toBe(false);
    expect(
      earningsVoucherCell({ vault, rigAccount: account, amount: 10n, seq: 1n })
        .hash()
        .equals(spendVoucherCell(spend).hash()),
    ).toBe(false);

    const earn = { vault, rigAccount: account, amount: 3n, seq: 4n };
    expect(verifyEarningsVoucher(earn, signEarningsVoucher(earn, k.secretKey), k.publicKey)).toBe(true);
    const wd = { vault, account, amount: 3n, claimed: 2n, nonce: 0 };
    const wsig = signWithdrawalVoucher(wd, k.secretKey);
    expect(verifyWithdrawalVoucher(wd, wsig, k.publicKey)).toBe(true);
    expect(verifyWithdrawalVoucher({ ...wd, nonce: 1 }, wsig, k.publicKey)).toBe(false);
    expect(verifyWithdrawalVoucher({ ...wd, claimed: 3n }, wsig, k.publicKey)).toBe(false);
  });
});

describe('ed25519 paths', () => {
  it('node:crypto, @noble/curves and @ton/crypto give the same signatures; 32-byte seeds and 64-byte keys both sign', async () => {
    const { ed25519 } = await import('@noble/curves/ed25519.js');
    const { sign, signVerify } = await import('@ton/crypto');
    const { ed25519Sign, ed25519Verify } = await import('./vouchers');
    const k = newKeyPair();
    for (let i = 0; i < 5; i++) {
      const msg = Buffer.from(`message ${i}`.padEnd(32, '.'));
      const ours = ed25519Sign(msg, k.secretKey);
      expect(ours.equals(sign(msg, k.secretKey))).toBe(true);
      expect(Buffer.from(ed25519.sign(msg, k.secretKey.subarray(0, 32))).equals(ours)).toBe(true);
      expect(ed25519Sign(msg, k.secretKey.subarray(0, 32)).equals(ours)).toBe(true);
      expect(ed25519Verify(msg, ours, k.publicKey)).toBe(true);
      expect(signVerify(msg, ours, k.publicKey)).toBe(true);
      const bad = Buffer.from(ours);
      bad[0] ^= 1;
      expect(ed25519Verify(msg, bad, k.publicKey)).toBe(false);
      expect(ed25519Verify(msg, ours.subarray(0, 63), k.publicKey)).toBe(false);
    }
  });
});
