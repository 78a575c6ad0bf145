// The three signed cells of docs/on-chain-accounts.md, built and signed exactly as the contracts check them:
// Ed25519 over the cell's hash. The off-chain code (proxy, Mini App, gateway) imports these. In Node the
// signing goes to OpenSSL through node:crypto (the proxy checks a voucher per job; @ton/crypto's pure-JS
// tweetnacl takes ~5 ms a signature); in the browser @noble/curves does it (as in @cocoon/shared). Ed25519 is deterministic, so both
// give the same bytes (vouchers.test.ts checks it).

import { ed25519 } from '@noble/curves/ed25519.js';
import { type Address, beginCell, type Cell } from '@ton/core';

type NodeCrypto = typeof import('node:crypto');
type KeyObject = import('node:crypto').KeyObject;

// process.getBuiltinModule (Node ≥ 20.16) loads node:crypto without a static import, so a browser bundle
// never asks for it.
const nodeCrypto = (
  globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
).process?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;

/** A small map that forgets everything when full: key objects are cheap to rebuild. */
function boundedCache(limit: number, make: (raw: Uint8Array) => KeyObject): (raw: Uint8Array) => KeyObject {
  const map = new Map<string, KeyObject>();
  return (raw) => {
    const id = Buffer.from(raw).toString('base64url');
    let v = map.get(id);
    if (!v) {
      v = make(raw);
      if (map.size >= limit) map.clear();
      map.set(id, v);
    }
    return v;
  };
}

// Keys go in as JWK (much cheaper than DER). Node derives the public half of a private JWK from "d" alone,
// so "x" may be a placeholder.
const b64url = (raw: Uint8Array) => Buffer.from(raw).toString('base64url');
const privateKeys =
  nodeCrypto &&
  boundedCache(64, (seed) =>
    nodeCrypto.createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', d: b64url(seed), x: b64url(new Uint8Array(32)) },
      format: 'jwk',
    }),
  );
const publicKeys =
  nodeCrypto &&
  boundedCache(4096, (pk) =>
    nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(pk) }, format: 'jwk' }),
  );

/** Ed25519 of `message`; `secretKey` is a 32-byte seed or @ton/crypto's 64-byte secret key (seed ‖ public). */
export function ed25519Sign(message: Buffer, secretKey: Uint8Array): Buffer {
  if (secretKey.length !== 32 && secretKey.length !== 64)
    throw new Error('an Ed25519 secret key is 32 or 64 bytes');
  const seed = secretKey.subarray(0, 32);
  if (nodeCrypto && privateKeys) return nodeCrypto.sign(null, message, privateKeys(seed));
  return Buffer.from(ed25519.sign(message, seed));
}

export function ed25519Verify(message: Buffer, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    if (nodeCrypto && publicKeys) return nodeCrypto.verify(null, message, publicKeys(publicKey), signature);
    return ed25519.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}

export const TAG_SPEND = 0x73706e64; // "spnd"
export const TAG_EARN = 0x6561726e; // "earn"
export const TAG_WITHDRAW = 0x7764726e; // "wdrn"

export interface SpendVoucher {
  vault: Address;
  account: Address;
  /** Cumulative: what the vault may have claimed from this account in total, in nanoTON. */
  amount: bigint;
  seq: bigint;
}

export interface EarningsVoucher {
  vault: Address;
  rigAccount: Address;
  /** Cumulative: what the rig owner has earned in total, in nanoTON. */
  amount: bigint;
  seq: bigint;
}

export interface WithdrawalVoucher {
  vault: Address;
  account: Address;
  amount: bigint;
  /** The account's `claimed` when signed. */
  claimed: bigint;
  nonce: number;
}

/** The layout a spend and an earnings voucher share: the tag, the vault, the account, the amount, the seq. */
function seqVoucherCell(tag: number, vault: Address, account: Address, amount: bigint, seq: bigint): Cell {
  return beginCell()
    .storeUint(tag, 32)
    .storeAddress(vault)
    .storeAddress(account)
    .storeCoins(amount)
    .storeUint(seq, 64)
    .endCell();
}

export function spendVoucherCell(v: SpendVoucher): Cell {
  return seqVoucherCell(TAG_SPEND, v.vault, v.account, v.amount, v.seq);
}

export function earningsVoucherCell(v: EarningsVoucher): Cell {
  return seqVoucherCell(TAG_EARN, v.vault, v.rigAccount, v.amount, v.seq);
}

export function withdrawalVoucherCell(v: WithdrawalVoucher): Cell {
  return beginCell()
    .storeUint(TAG_WITHDRAW, 32)
    .storeAddress(v.vault)
    .storeAddress(v.account)
    .storeCoins(v.amount)
    .storeCoins(v.claimed)
    .storeUint(v.nonce, 32)
    .endCell();
}

/** Ed25519 over `cell.hash()`; `secretKey` a 32-byte seed or @ton/crypto's 64-byte secret key. */
export function signCell(cell: Cell, secretKey: Uint8Array): Buffer {
  return ed25519Sign(cell.hash(), secretKey);
}

export function verifyCell(cell: Cell, signature: Uint8Array, publicKey: Uint8Array): boolean {
  return ed25519Verify(cell.hash(), signature, publicKey);
}

export const signSpendVoucher = (v: SpendVoucher, secretKey: Uint8Array) =>
  signCell(spendVoucherCell(v), secretKey);
export const signEarningsVoucher = (v: EarningsVoucher, secretKey: Uint8Array) =>
  signCell(earningsVoucherCell(v), secretKey);
export const signWithdrawalVoucher = (v: WithdrawalVoucher, secretKey: Uint8Array) =>
  signCell(withdrawalVoucherCell(v), secretKey);

export const verifySpendVoucher = (v: SpendVoucher, sig: Uint8Array, publicKey: Uint8Array) =>
  verifyCell(spendVoucherCell(v), sig, publicKey);
export const verifyEarningsVoucher = (v: EarningsVoucher, sig: Uint8Array, publicKey: Uint8Array) =>
  verifyCell(earningsVoucherCell(v), sig, publicKey);
export const verifyWithdrawalVoucher = (v: WithdrawalVoucher, sig: Uint8Array, publicKey: Uint8Array) =>
  verifyCell(withdrawalVoucherCell(v), sig, publicKey);

/** How a signature travels in a message: a ref cell holding its 512 bits. */
export function signatureCell(signature: Buffer): Cell {
  if (signature.length !== 64) throw new Error('an Ed25519 signature is 64 bytes');
  return beginCell().storeBuffer(signature).endCell();
}
