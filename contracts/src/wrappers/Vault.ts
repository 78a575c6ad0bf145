// Wrapper for contracts/tolk/vault.tolk.
import {
  type Address,
  beginCell,
  type Cell,
  type ContractProvider,
  type Sender,
  TupleBuilder,
} from '@ton/core';
import { CLAIM_MIN_VALUE, DEFAULT_OP_VALUE, Op, PAYOUT_MIN_VALUE } from '../constants';
import { signatureCell } from '../vouchers';
import { RigAccount } from './RigAccount';
import { deployedAt, header, type StateInit, send, Wrapper } from './send';
import { UserAccount } from './UserAccount';

export interface VaultConfig {
  /** The operator's Ed25519 public key (32 bytes): signs earnings vouchers, co-signs withdrawals. */
  operatorKey: Buffer;
  /** The operator's wallet: stakes, unstakes, withdraws fees, commits. */
  operator: Address;
  feeWallet: Address;
  /** The platform fee in basis points on top of what rigs earn (fee share = claimed × bps / (10000 + bps)). */
  feeBps: number;
  /** Seconds between an exit's `close` and its `withdraw`, and before a rotated spend key takes effect. */
  closeDelay: number;
  userCode: Cell;
  rigCode: Cell;
}

export interface VaultData {
  operatorKey: bigint;
  operator: Address;
  feeWallet: Address;
  feeBps: number;
  closeDelay: number;
  totalClaimed: bigint;
  totalPaid: bigint;
  totalFees: bigint;
  stake: bigint;
  commitHash: bigint;
  commitSeq: bigint;
}

export function vaultInitData(c: VaultConfig): Cell {
  const totals = beginCell()
    .storeCoins(0) // total_claimed
    .storeCoins(0) // total_paid
    .storeCoins(0) // total_fees
    .storeCoins(0) // stake
    .storeUint(0, 256) // commit_hash
    .storeUint(0, 64) // commit_seq
    .endCell();
  return beginCell()
    .storeBuffer(c.operatorKey, 32)
    .storeAddress(c.operator)
    .storeAddress(c.feeWallet)
    .storeUint(c.feeBps, 16)
    .storeUint(c.closeDelay, 32)
    .storeRef(c.userCode)
    .storeRef(c.rigCode)
    .storeRef(totals)
    .endCell();
}

export interface ClaimArgs {
  owner: Address;
  amount: bigint;
  seq: bigint;
  signature: Buffer;
  queryId?: bigint;
}

export const vaultMessages = {
  claim: (a: ClaimArgs) =>
    header(Op.claim, a.queryId)
      .storeAddress(a.owner)
      .storeCoins(a.amount)
      .storeUint(a.seq, 64)
      .storeRef(signatureCell(a.signature))
      .endCell(),
  claimed: (a: { owner: Address; delta: bigint; queryId?: bigint }) =>
    header(Op.claimed, a.queryId).storeAddress(a.owner).storeCoins(a.delta).endCell(),
  payRequest: (a: {
    owner: Address;
    amount: bigint;
    paid: bigint;
    seq: bigint;
    signature: Buffer;
    queryId?: bigint;
  }) =>
    header(Op.payRequest, a.queryId)
      .storeAddress(a.owner)
      .storeCoins(a.amount)
      .storeCoins(a.paid)
      .storeUint(a.seq, 64)
      .storeRef(signatureCell(a.signature))
      .endCell(),
  stake: (q?: bigint) => header(Op.stake, q).endCell(),
  unstake: (amount: bigint, q?: bigint) => header(Op.unstake, q).storeCoins(amount).endCell(),
  withdrawFees: (amount: bigint, q?: bigint) => header(Op.withdrawFees, q).storeCoins(amount).endCell(),
  commit: (hash: bigint, seq: bigint, q?: bigint) =>
    header(Op.commit, q).storeUint(hash, 256).storeUint(seq, 64).endCell(),
};

export class Vault extends Wrapper {
  constructor(
    address: Address,
    init?: StateInit,
    readonly config?: VaultConfig,
  ) {
    super(address, init);
  }

  static createFromConfig(config: VaultConfig, code: Cell, workchain = 0) {
    return new Vault(...deployedAt(code, vaultInitData(config), workchain), config);
  }

  /** The user account of `owner` under this vault, computed off-chain (same as get_user_account_address). */
  userAccount(owner: Address): UserAccount {
    if (!this.config) throw new Error('Vault.userAccount needs the vault created from its config');
    const c = this.config;
    return UserAccount.createFromConfig(
      { vault: this.address, owner, closeDelay: c.closeDelay, operatorKey: c.operatorKey },
      c.userCode,
      this.address.workChain,
    );
  }

  rigAccount(owner: Address): RigAccount {
    if (!this.config) throw new Error('Vault.rigAccount needs the vault created from its config');
    return RigAccount.createFromConfig(
      { vault: this.address, owner },
      this.config.rigCode,
      this.address.workChain,
    );
  }

  /** Deploys the vault; the value is a top-up for its gas and storage, counted nowhere. */
  async sendDeploy(provider: ContractProvider, via: Sender, value: bigint) {
    await send(provider, via, beginCell().endCell(), value);
  }

  /** Presents a user's spend voucher; at least CLAIM_MIN_VALUE, the surplus comes back at once. */
  async sendClaim(provider: ContractProvider, via: Sender, a: ClaimArgs & { value?: bigint }) {
    await send(provider, via, vaultMessages.claim(a), a.value ?? CLAIM_MIN_VALUE);
  }

  /** Counted as stake: value − OP_FEE. */
  async sendStake(provider: ContractProvider, via: Sender, value: bigint) {
    await send(provider, via, vaultMessages.stake(), value);
  }

  async sendUnstake(
    provider: ContractProvider,
    via: Sender,
    amount: bigint,
    value: bigint = PAYOUT_MIN_VALUE,
  ) {
    await send(provider, via, vaultMessages.unstake(amount), value);
  }

  async sendWithdrawFees(
    provider: ContractProvider,
    via: Sender,
    amount: bigint,
    value: bigint = PAYOUT_MIN_VALUE,
  ) {
    await send(provider, via, vaultMessages.withdrawFees(amount), value);
  }

  async sendCommit(
    provider: ContractProvider,
    via: Sender,
    hash: bigint,
    seq: bigint,
    value = DEFAULT_OP_VALUE,
  ) {
    await send(provider, via, vaultMessages.commit(hash, seq), value);
  }

  /** Any raw body, e.g. a forged `claimed` or `pay_request` in tests. */
  async sendBody(provider: ContractProvider, via: Sender, body: Cell, value: bigint = DEFAULT_OP_VALUE) {
    await send(provider, via, body, value);
  }

  async getVaultData(provider: ContractProvider): Promise<VaultData> {
    const r = (await provider.get('get_vault_data', [])).stack;
    return {
      operatorKey: r.readBigNumber(),
      operator: r.readAddress(),
      feeWallet: r.readAddress(),
      feeBps: r.readNumber(),
      closeDelay: r.readNumber(),
      totalClaimed: r.readBigNumber(),
      totalPaid: r.readBigNumber(),
      totalFees: r.readBigNumber(),
      stake: r.readBigNumber(),
      commitHash: r.readBigNumber(),
      commitSeq: r.readBigNumber(),
    };
  }

  async getUserAccountAddress(provider: ContractProvider, owner: Address): Promise<Address> {
    const args = new TupleBuilder();
    args.writeAddress(owner);
    return (await provider.get('get_user_account_address', args.build())).stack.readAddress();
  }

  async getRigAccountAddress(provider: ContractProvider, owner: Address): Promise<Address> {
    const args = new TupleBuilder();
    args.writeAddress(owner);
    return (await provider.get('get_rig_account_address', args.build())).stack.readAddress();
  }

  async getBalance(provider: ContractProvider): Promise<bigint> {
    return (await provider.getState()).balance;
  }
}
