// TON Connect ton_proof: issue single-use payloads and verify a wallet's address proof.
// Follows the TON Connect spec (requests-responses.md, "Address proof signature") and the
// reference check in ton-connect/demo-dapp-with-react-ui src/server/services/ton-proof-service.ts.

import { TON_NETWORK, tonProofRequest } from '@cocoon/shared';
import { Address, Cell, contractAddress, loadStateInit, type StateInit } from '@ton/core';
import { getSecureRandomBytes, sha256_sync, sign, signVerify } from '@ton/crypto';
import {
  WalletContractV3R1,
  WalletContractV3R2,
  WalletContractV4,
  WalletContractV5Beta,
  WalletContractV5R1,
} from '@ton/ton';

const TON_PROOF_PREFIX = 'ton-proof-item-v2/';
const TON_CONNECT_PREFIX = 'ton-connect';

/** TON Connect CHAIN values (the shared contract's). */
export { TON_NETWORK };

// ---------- payloads ----------

/** Where issued payloads live until used. The lead may back this with a DB table (payload PK, expires_at, used_at). */
export interface ProofPayloadStore {
  issue(payload: string, expiresAtSec: number): Promise<void>;
  /** Atomically marks the payload used. Must be single-use even under concurrent calls. */
  consume(payload: string, nowSec: number): Promise<'ok' | 'unknown' | 'expired' | 'used'>;
}

/** In-memory store; bounded by pruning expired entries and by `maxEntries`. */
export function createMemoryProofPayloadStore(opts: { maxEntries?: number } = {}): ProofPayloadStore {
  const maxEntries = opts.maxEntries ?? 100_000;
  const entries = new Map<string, { expiresAt: number; used: boolean }>();
  const prune = (nowSec: number) => {
    for (const [k, v] of entries) if (v.expiresAt < nowSec) entries.delete(k);
    // Still full: drop the oldest issued (Map keeps insertion order).
    for (const k of entries.keys()) {
      if (entries.size < maxEntries) break;
      entries.delete(k);
    }
  };
  return {
    async issue(payload, expiresAtSec) {
      if (entries.size >= maxEntries) prune(Math.floor(Date.now() / 1000));
      entries.set(payload, { expiresAt: expiresAtSec, used: false });
    },
    async consume(payload, nowSec) {
      const e = entries.get(payload);
      if (!e) return 'unknown';
      if (e.used) return 'used';
      if (e.expiresAt < nowSec) return 'expired';
      e.used = true;
      return 'ok';
    },
  };
}

/** A fresh random payload (32 bytes, hex) registered in the store for `ttlSeconds` (default 15 min). */
export async function createProofPayload(
  store: ProofPayloadStore,
  opts: { ttlSeconds?: number; nowSec?: number } = {},
): Promise<{ payload: string; expiresAt: number }> {
  const payload = (await getSecureRandomBytes(32)).toString('hex');
  const expiresAt = (opts.nowSec ?? Math.floor(Date.now() / 1000)) + (opts.ttlSeconds ?? 15 * 60);
  await store.issue(payload, expiresAt);
  return { payload, expiresAt };
}

// ---------- message ----------

/** sha256(0xffff ++ "ton-connect" ++ sha256(message)), the bytes a wallet signs. */
export function tonProofSigningHash(args: {
  address: Address;
  domain: string;
  timestamp: number;
  payload: string;
}): Buffer {
  const wc = Buffer.alloc(4);
  wc.writeInt32BE(args.address.workChain, 0);
  const domain = Buffer.from(args.domain, 'utf8');
  const dl = Buffer.alloc(4);
  dl.writeUInt32LE(domain.length, 0);
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64LE(BigInt(args.timestamp), 0);
  const message = Buffer.concat([
    Buffer.from(TON_PROOF_PREFIX),
    wc,
    args.address.hash,
    dl,
    domain,
    ts,
    Buffer.from(args.payload, 'utf8'),
  ]);
  return sha256_sync(
    Buffer.concat([Buffer.from([0xff, 0xff]), Buffer.from(TON_CONNECT_PREFIX), sha256_sync(message)]),
  );
}

export type TonProof = {
  timestamp: number;
  domain: { lengthBytes: number; value: string };
  payload: string;
  signature: string;
  state_init?: string;
};

/** Signs a ton_proof the way a wallet does. Used by tests and by the dev sandbox wallet. */
export function signTonProof(args: {
  secretKey: Buffer;
  address: Address | string;
  domain: string;
  payload: string;
  timestamp?: number;
  stateInit?: string;
}): TonProof {
  const address = typeof args.address === 'string' ? Address.parse(args.address) : args.address;
  const timestamp = args.timestamp ?? Math.floor(Date.now() / 1000);
  const hash = tonProofSigningHash({ address, domain: args.domain, timestamp, payload: args.payload });
  return {
    timestamp,
    domain: { lengthBytes: Buffer.byteLength(args.domain, 'utf8'), value: args.domain },
    payload: args.payload,
    signature: sign(hash, args.secretKey).toString('base64'),
    ...(args.stateInit ? { state_init: args.stateInit } : {}),
  };
}

// ---------- public key from a wallet stateInit ----------

const ZERO_KEY = Buffer.alloc(32);
const KNOWN_WALLETS: { code: Cell; keyOffsetBits: number }[] = [
  // V3: seqno:uint32 wallet_id:uint32 public_key:bits256
  { code: WalletContractV3R1.create({ workchain: 0, publicKey: ZERO_KEY }).init.code, keyOffsetBits: 64 },
  { code: WalletContractV3R2.create({ workchain: 0, publicKey: ZERO_KEY }).init.code, keyOffsetBits: 64 },
  // V4R2: seqno:uint32 wallet_id:uint32 public_key:bits256 plugins:(Maybe ^Cell)
  { code: WalletContractV4.create({ workchain: 0, publicKey: ZERO_KEY }).init.code, keyOffsetBits: 64 },
  // V5 beta: is_signature_allowed:bool seqno:uint32 wallet_id:uint80 public_key:bits256
  { code: WalletContractV5Beta.create({ publicKey: ZERO_KEY }).init.code, keyOffsetBits: 1 + 32 + 80 },
  // V5R1: is_signature_allowed:bool seqno:uint32 wallet_id:uint32 public_key:bits256
  { code: WalletContractV5R1.create({ publicKey: ZERO_KEY }).init.code, keyOffsetBits: 1 + 32 + 32 },
];

/** Public key stored in a standard wallet's initial data (V3R1, V3R2, V4R2, V5 beta, V5R1); null otherwise. */
export function publicKeyFromStateInit(init: StateInit): Buffer | null {
  if (!init.code || !init.data) return null;
  const known = KNOWN_WALLETS.find((w) => w.code.equals(init.code as Cell));
  if (!known) return null;
  try {
    const s = init.data.beginParse();
    s.skip(known.keyOffsetBits);
    return s.loadBuffer(32);
  } catch {
    return null;
  }
}

// ---------- verification ----------

export type TonProofFailure =
  | 'malformed'
  | 'wrong_network'
  | 'bad_state_init'
  | 'address_mismatch'
  | 'unknown_public_key'
  | 'public_key_mismatch'
  | 'domain_not_allowed'
  | 'domain_length_mismatch'
  | 'proof_expired'
  | 'timestamp_in_future'
  | 'bad_signature'
  | 'payload_unknown'
  | 'payload_expired'
  | 'payload_used';

export type VerifyTonProofOptions = {
  /** Exact host[:port] values the Mini App is served from, e.g. "cocoon.example", "localhost:5173". */
  allowedDomains: readonly string[];
  payloadStore: ProofPayloadStore;
  /** Oldest acceptable proof.timestamp, in seconds before now (default 15 min). */
  maxAgeSeconds?: number;
  /** Network the proxy runs on; a proof for the other one is rejected. */
  network?: (typeof TON_NETWORK)[keyof typeof TON_NETWORK];
  /** get_public_key on chain, for wallets whose stateInit this code can't parse. */
  getWalletPublicKey?: (address: string) => Promise<Buffer | null>;
  nowSec?: number;
  /** Accept timestamps this far in the future (clock skew), default 60 s. */
  maxFutureSkewSeconds?: number;
};

export type VerifyTonProofResult =
  | { ok: true; address: string; rawAddress: string; publicKey: string }
  | { ok: false; reason: TonProofFailure };

/**
 * Checks a ton_proof: stateInit hashes to the address, public key (stateInit data, else
 * get_public_key), domain allow-list, freshness, signature, and finally consumes the payload,
 * so a proof with a bad signature can't burn someone else's payload.
 */
export async function verifyTonProof(
  input: unknown,
  opts: VerifyTonProofOptions,
): Promise<VerifyTonProofResult> {
  const fail = (reason: TonProofFailure): VerifyTonProofResult => ({ ok: false, reason });
  const parsed = tonProofRequest.safeParse(input);
  if (!parsed.success) return fail('malformed');
  const req = parsed.data;
  const now = opts.nowSec ?? Math.floor(Date.now() / 1000);
  if (opts.network && req.network !== opts.network) return fail('wrong_network');

  let address: Address;
  let stateInit: StateInit;
  let signature: Buffer;
  try {
    address = Address.parse(req.address);
    signature = Buffer.from(req.proof.signature, 'base64');
  } catch {
    return fail('malformed');
  }
  try {
    stateInit = loadStateInit(Cell.fromBase64(req.proof.state_init).beginParse());
  } catch {
    return fail('bad_state_init');
  }
  if (!contractAddress(address.workChain, stateInit).equals(address)) return fail('address_mismatch');

  const publicKey =
    publicKeyFromStateInit(stateInit) ??
    (opts.getWalletPublicKey ? await opts.getWalletPublicKey(address.toRawString()) : null);
  if (!publicKey) return fail('unknown_public_key');
  if (req.public_key && !publicKey.equals(Buffer.from(req.public_key, 'hex')))
    return fail('public_key_mismatch');

  if (!opts.allowedDomains.includes(req.proof.domain.value)) return fail('domain_not_allowed');
  if (Buffer.byteLength(req.proof.domain.value, 'utf8') !== req.proof.domain.lengthBytes)
    return fail('domain_length_mismatch');

  const maxAge = opts.maxAgeSeconds ?? 15 * 60;
  if (now - req.proof.timestamp > maxAge) return fail('proof_expired');
  if (req.proof.timestamp - now > (opts.maxFutureSkewSeconds ?? 60)) return fail('timestamp_in_future');

  const hash = tonProofSigningHash({
    address,
    domain: req.proof.domain.value,
    timestamp: req.proof.timestamp,
    payload: req.proof.payload,
  });
  if (signature.length !== 64 || !signVerify(hash, signature, publicKey)) return fail('bad_signature');

  const consumed = await opts.payloadStore.consume(req.proof.payload, now);
  if (consumed !== 'ok') return fail(`payload_${consumed}` as TonProofFailure);

  return {
    ok: true,
    address: address.toString({
      bounceable: false,
      testOnly: req.network === TON_NETWORK.testnet,
      urlSafe: true,
    }),
    rawAddress: address.toRawString(),
    publicKey: publicKey.toString('hex'),
  };
}
