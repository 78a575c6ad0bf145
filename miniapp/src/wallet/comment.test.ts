import { Cell } from '@ton/core';
import { expect, it } from 'vitest';
import { commentPayload, depositTransaction } from './comment';
import { proofRequestFor } from './proof-request';

it('encodes the deposit memo as a TON text comment cell (op 0 + UTF-8)', () => {
  const slice = Cell.fromBase64(commentPayload('cocoon-42-xyz')).beginParse();
  expect(slice.loadUint(32)).toBe(0);
  expect(slice.loadStringTail()).toBe('cocoon-42-xyz');
});

it('builds a five-minute sendTransaction to the service wallet carrying the memo', () => {
  const tx = depositTransaction('EQservice', 2_500_000_000n, 'memo1', 1_700_000_000_000);
  expect(tx.validUntil).toBe(1_700_000_300);
  expect(tx.messages).toEqual([
    { address: 'EQservice', amount: '2500000000', payload: commentPayload('memo1') },
  ]);
  expect(() => depositTransaction('EQservice', 0n, 'memo1')).toThrow(RangeError);
});

it('turns a TON Connect wallet with a proof into the ton_proof request body (binding, large withdrawals)', () => {
  const proof = { timestamp: 1, domain: { lengthBytes: 3, value: 'a.b' }, payload: 'p', signature: 's' };
  const body = proofRequestFor({
    account: { address: '0:ab', chain: '-3', publicKey: 'pk', walletStateInit: 'si' },
    connectItems: { tonProof: { proof } },
  });
  expect(body).toEqual({
    address: '0:ab',
    network: '-3',
    public_key: 'pk',
    proof: { ...proof, state_init: 'si' },
  });
  expect(proofRequestFor({ account: { address: '0:ab', chain: '-3' } })).toBeNull();
  expect(
    proofRequestFor({ account: { address: '0:ab', chain: '-3' }, connectItems: { tonProof: { error: {} } } }),
  ).toBeNull();
});
