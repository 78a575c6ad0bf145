// Wrapper for contracts/tolk/user-account.tolk.
import { type Address, beginCell, type Cell, type ContractProvider, type Sender } from '@ton/core';
import { DEFAULT_OP_VALUE, Op, PAYOUT_MIN_VALUE } from '../constants';
import { signatureCell } from '../vouchers';
import { amountSeqMessage, deployedAt, header, send, Wrapper } from './send';

export interface UserAccountConfig {
  vault: Address;
  owner: Address;
  /** The vault's close delay, in seconds. */
  closeDelay: number;
  /** The operator's Ed25519 public key (32 bytes). */
  operatorKey: Buffer;
}

export interface AccountData {
  vault: Address;
  owner: Address;
  spendKey: bigint;
  pendingKey: bigint;
  pendingAllowance: bigint;
  pendingPeriod: number;
  pendingAt: number;
  allowance: bigint;
  period: number;
  periodStart: number;
  spentInPeriod: bigint;
  deposited: bigint;
  claimed: bigint;
  withdrawn: bigint;
  lastSeq: bigint;
  closeRequestedAt: number;
  withdrawNonce: number;
  available: bigint;
  closeDelay: number;
  operatorKey: bigint;
  hasPending: boolean;
  funded: boolean;
}

/** The account's data at deploy, exactly as the vault builds it to derive the address. */
export function userAccountInitData(c: UserAccountConfig): Cell {
  const params = beginCell().storeUint(c.closeDelay, 32).storeBuffer(c.operatorKey, 32).endCell();
  const keys = beginCell()
    .storeBit(false) // funded
    .storeUint(0, 32) // close_requested_at
    .storeUint(0, 32) // withdraw_nonce
    .storeUint(0, 256) // spend_key
    .storeCoins(0) // allowance
    .storeUint(0, 32) // period
    .storeUint(0, 32) // period_start
    .storeCoins(0) // spent_in_period
    .endCell();
  const pending = beginCell()
    .storeBit(false)
    .storeUint(0, 256)
    .storeCoins(0)
    .storeUint(0, 32)
    .storeUint(0, 32)
    .endCell();
  return beginCell()
    .storeAddress(c.vault)
    .storeAddress(c.owner)
    .storeCoins(0) // deposited
    .storeCoins(0) // claimed
    .storeCoins(0) // withdrawn
    .storeUint(0, 64) // last_seq
    .storeRef(params)
    .storeRef(keys)
    .storeRef(pending)
    .endCell();
}

export const userAccountMessages = {
  deposit: (q?: bigint) => header(Op.deposit, q).endCell(),
  setSpendKey: (a: { key: Buffer; allowance: bigint; period: number; queryId?: bigint }) =>
    header(Op.setSpendKey, a.queryId)
      .storeBuffer(a.key, 32)
      .storeCoins(a.allowance)
      .storeUint(a.period, 32)
      .endCell(),
  withdrawCosigned: (a: { amount: bigint; nonce: number; signature: Buffer; queryId?: bigint }) =>
    header(Op.withdrawCosigned, a.queryId)
      .storeCoins(a.amount)
      .storeUint(a.nonce, 32)
      .storeRef(signatureCell(a.signature))
      .endCell(),
  doClaim: (a: { amount: bigint; seq: bigint; signature: Buffer; queryId?: bigint }) =>
    amountSeqMessage(Op.doClaim, a),
  comment: (text: string) => beginCell().storeUint(0, 32).storeStringTail(text).endCell(),
};

export class UserAccount extends Wrapper {
  static createFromConfig(config: UserAccountConfig, code: Cell, workchain = 0) {
    return new UserAccount(...deployedAt(code, userAccountInitData(config), workchain));
  }

  /** Deploys the account with its first deposit (see depositCredit for what is counted). */
  async sendDeploy(provider: ContractProvider, via: Sender, value: bigint) {
    await this.sendDeposit(provider, via, value);
  }

  async sendDeposit(provider: ContractProvider, via: Sender, value: bigint) {
    await send(provider, via, userAccountMessages.deposit(), value);
  }

  async sendSetSpendKey(
    provider: ContractProvider,
    via: Sender,
    a: { key: Buffer; allowance?: bigint; period?: number; value?: bigint },
  ) {
    const body = userAccountMessages.setSpendKey({
      key: a.key,
      allowance: a.allowance ?? 0n,
      period: a.period ?? 0,
    });
    await send(provider, via, body, a.value ?? DEFAULT_OP_VALUE);
  }

  async sendClose(provider: ContractProvider, via: Sender, value: bigint = DEFAULT_OP_VALUE) {
    await send(provider, via, userAccountMessages.comment('close'), value);
  }

  async sendWithdraw(provider: ContractProvider, via: Sender, value: bigint = PAYOUT_MIN_VALUE) {
    await send(provider, via, userAccountMessages.comment('withdraw'), value);
  }

  async sendWithdrawCosigned(
    provider: ContractProvider,
    via: Sender,
    a: { amount: bigint; nonce: number; signature: Buffer; value?: bigint },
  ) {
    await send(provider, via, userAccountMessages.withdrawCosigned(a), a.value ?? PAYOUT_MIN_VALUE);
  }

  /** Only the vault may send this; exposed so tests can show that anyone else is refused. */
  async sendDoClaim(
    provider: ContractProvider,
    via: Sender,
    a: { amount: bigint; seq: bigint; signature: Buffer; value?: bigint },
  ) {
    await send(provider, via, userAccountMessages.doClaim(a), a.value ?? DEFAULT_OP_VALUE);
  }

  async getAccountData(provider: ContractProvider): Promise<AccountData> {
    const r = (await provider.get('get_account_data', [])).stack;
    return {
      vault: r.readAddress(),
      owner: r.readAddress(),
      spendKey: r.readBigNumber(),
      pendingKey: r.readBigNumber(),
      pendingAllowance: r.readBigNumber(),
      pendingPeriod: r.readNumber(),
      pendingAt: r.readNumber(),
      allowance: r.readBigNumber(),
      period: r.readNumber(),
      periodStart: r.readNumber(),
      spentInPeriod: r.readBigNumber(),
      deposited: r.readBigNumber(),
      claimed: r.readBigNumber(),
      withdrawn: r.readBigNumber(),
      lastSeq: r.readBigNumber(),
      closeRequestedAt: r.readNumber(),
      withdrawNonce: r.readNumber(),
      available: r.readBigNumber(),
      closeDelay: r.readNumber(),
      operatorKey: r.readBigNumber(),
      hasPending: r.readBoolean(),
      funded: r.readBoolean(),
    };
  }

  async getBalance(provider: ContractProvider): Promise<bigint> {
    return (await provider.getState()).balance;
  }
}
