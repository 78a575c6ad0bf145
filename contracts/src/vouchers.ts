// The three signed cells of docs/on-chain-accounts.md, built and signed exactly as the contracts check them:
// Ed25519 over the cell's hash, with @ton/crypto. The off-chain code (proxy, Mini App, gateway) imports these.
import { type Address, beginCell, type Cell } from '@ton/core';
import { sign, signVerify } from '@ton/crypto';

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

export function spendVoucherCell(v: SpendVoucher): Cell {
  return beginCell()
    .storeUint(TAG_SPEND, 32)
    .storeAddress(v.vault)
    .storeAddress(v.account)
    .storeCoins(v.amount)
    .storeUint(v.seq, 64)
    .endCell();
}

export function earningsVoucherCell(v: EarningsVoucher): Cell {
  return beginCell()
    .storeUint(TAG_EARN, 32)
    .storeAddress(v.vault)
    .storeAddress(v.rigAccount)
    .storeCoins(v.amount)
    .storeUint(v.seq, 64)
    .endCell();
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

/** Ed25519 over `cell.hash()`. `secretKey` is the 64-byte key of @ton/crypto's keyPairFromSeed. */
export function signCell(cell: Cell, secretKey: Buffer): Buffer {
  return sign(cell.hash(), secretKey);
}

export function verifyCell(cell: Cell, signature: Buffer, publicKey: Buffer): boolean {
  return signature.length === 64 && signVerify(cell.hash(), signature, publicKey);
}

export const signSpendVoucher = (v: SpendVoucher, secretKey: Buffer) =>
  signCell(spendVoucherCell(v), secretKey);
export const signEarningsVoucher = (v: EarningsVoucher, secretKey: Buffer) =>
  signCell(earningsVoucherCell(v), secretKey);
export const signWithdrawalVoucher = (v: WithdrawalVoucher, secretKey: Buffer) =>
  signCell(withdrawalVoucherCell(v), secretKey);

export const verifySpendVoucher = (v: SpendVoucher, sig: Buffer, publicKey: Buffer) =>
  verifyCell(spendVoucherCell(v), sig, publicKey);
export const verifyEarningsVoucher = (v: EarningsVoucher, sig: Buffer, publicKey: Buffer) =>
  verifyCell(earningsVoucherCell(v), sig, publicKey);
export const verifyWithdrawalVoucher = (v: WithdrawalVoucher, sig: Buffer, publicKey: Buffer) =>
  verifyCell(withdrawalVoucherCell(v), sig, publicKey);

/** How a signature travels in a message: a ref cell holding its 512 bits. */
export function signatureCell(signature: Buffer): Cell {
  if (signature.length !== 64) throw new Error('an Ed25519 signature is 64 bytes');
  return beginCell().storeBuffer(signature).endCell();
}
