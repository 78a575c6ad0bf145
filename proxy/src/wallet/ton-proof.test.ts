import { beginCell, storeStateInit } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import { WalletContractV4, WalletContractV5R1 } from '@ton/ton';
import { describe, expect, it } from 'vitest';
import {
  createMemoryProofPayloadStore,
  createProofPayload,
  publicKeyFromStateInit,
  signTonProof,
  TON_NETWORK,
  verifyTonProof,
} from './ton-proof';

const DOMAIN = 'localhost:5173';
const keys = keyPairFromSeed(Buffer.alloc(32, 7));
const otherKeys = keyPairFromSeed(Buffer.alloc(32, 8));
const wallet = WalletContractV4.create({ workchain: 0, publicKey: keys.publicKey });
const stateInit = beginCell().store(storeStateInit(wallet.init)).endCell().toBoc().toString('base64');

async function setup() {
  const payloadStore = createMemoryProofPayloadStore();
  const { payload } = await createProofPayload(payloadStore);
  const opts = { allowedDomains: [DOMAIN], payloadStore, network: TON_NETWORK.mainnet };
  const request = (
    over: { secretKey?: Buffer; domain?: string; timestamp?: number; address?: string } = {},
  ) => ({
    address: over.address ?? wallet.address.toRawString(),
    network: TON_NETWORK.mainnet,
    public_key: keys.publicKey.toString('hex'),
    proof: signTonProof({
      secretKey: over.secretKey ?? keys.secretKey,
      address: wallet.address,
      domain: over.domain ?? DOMAIN,
      payload,
      timestamp: over.timestamp,
      stateInit,
    }),
  });
  return { payloadStore, payload, opts, request };
}

describe('ton_proof', () => {
  it('reads the public key from V4 and V5R1 stateInits', () => {
    expect(publicKeyFromStateInit(wallet.init)?.equals(keys.publicKey)).toBe(true);
    const v5 = WalletContractV5R1.create({ publicKey: otherKeys.publicKey });
    expect(publicKeyFromStateInit(v5.init)?.equals(otherKeys.publicKey)).toBe(true);
  });

  it('accepts a valid proof and returns the wallet address', async () => {
    const { opts, request } = await setup();
    const res = await verifyTonProof(request(), opts);
    expect(res).toEqual({
      ok: true,
      address: wallet.address.toString({ bounceable: false }),
      rawAddress: wallet.address.toRawString(),
      publicKey: keys.publicKey.toString('hex'),
    });
  });

  it('rejects a signature by another key', async () => {
    const { opts, request } = await setup();
    expect(await verifyTonProof(request({ secretKey: otherKeys.secretKey }), opts)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rejects a domain outside the allow-list', async () => {
    const { opts, request } = await setup();
    expect(await verifyTonProof(request({ domain: 'evil.example' }), opts)).toEqual({
      ok: false,
      reason: 'domain_not_allowed',
    });
  });

  it('rejects an old proof and an expired payload', async () => {
    const { opts, request } = await setup();
    const old = Math.floor(Date.now() / 1000) - 16 * 60;
    expect(await verifyTonProof(request({ timestamp: old }), opts)).toEqual({
      ok: false,
      reason: 'proof_expired',
    });

    const payloadStore = createMemoryProofPayloadStore();
    const issuedAt = Math.floor(Date.now() / 1000) - 20 * 60;
    const { payload } = await createProofPayload(payloadStore, { nowSec: issuedAt });
    const proof = signTonProof({
      secretKey: keys.secretKey,
      address: wallet.address,
      domain: DOMAIN,
      payload,
      stateInit,
    });
    const res = await verifyTonProof(
      { address: wallet.address.toRawString(), network: TON_NETWORK.mainnet, proof },
      { ...opts, payloadStore },
    );
    expect(res).toEqual({ ok: false, reason: 'payload_expired' });
  });

  it('rejects a reused payload and an unknown one', async () => {
    const { opts, request } = await setup();
    expect((await verifyTonProof(request(), opts)).ok).toBe(true);
    expect(await verifyTonProof(request(), opts)).toEqual({ ok: false, reason: 'payload_used' });

    const proof = signTonProof({
      secretKey: keys.secretKey,
      address: wallet.address,
      domain: DOMAIN,
      payload: 'f'.repeat(64),
      stateInit,
    });
    const res = await verifyTonProof(
      { address: wallet.address.toRawString(), network: TON_NETWORK.mainnet, proof },
      opts,
    );
    expect(res).toEqual({ ok: false, reason: 'payload_unknown' });
  });

  it('rejects a tampered address (stateInit does not hash to it)', async () => {
    const { opts, request } = await setup();
    const other = WalletContractV4.create({ workchain: 0, publicKey: otherKeys.publicKey });
    expect(await verifyTonProof(request({ address: other.address.toRawString() }), opts)).toEqual({
      ok: false,
      reason: 'address_mismatch',
    });
  });

  it('rejects a claimed public key that is not the wallet key, the other network, and garbage', async () => {
    const { opts, request } = await setup();
    const req = request();
    expect(await verifyTonProof({ ...req, public_key: otherKeys.publicKey.toString('hex') }, opts)).toEqual({
      ok: false,
      reason: 'public_key_mismatch',
    });
    expect(await verifyTonProof({ ...req, network: TON_NETWORK.testnet }, opts)).toEqual({
      ok: false,
      reason: 'wrong_network',
    });
    expect(await verifyTonProof({ address: 1 }, opts)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('falls back to get_public_key for an unknown wallet code', async () => {
    const { opts, payload } = await setup();
    const customInit = { code: beginCell().storeUint(42, 8).endCell(), data: beginCell().endCell() };
    const { contractAddress } = await import('@ton/core');
    const address = contractAddress(0, customInit);
    const proof = signTonProof({
      secretKey: keys.secretKey,
      address,
      domain: DOMAIN,
      payload,
      stateInit: beginCell().store(storeStateInit(customInit)).endCell().toBoc().toString('base64'),
    });
    const req = { address: address.toRawString(), network: TON_NETWORK.mainnet, proof };
    expect(await verifyTonProof(req, opts)).toEqual({ ok: false, reason: 'unknown_public_key' });
    const res = await verifyTonProof(req, { ...opts, getWalletPublicKey: async () => keys.publicKey });
    expect(res.ok).toBe(true);
  });
});
