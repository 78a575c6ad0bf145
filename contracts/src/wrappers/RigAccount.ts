// Wrapper for contracts/tolk/rig-account.tolk.
import { type Address, beginCell, type Cell, type ContractProvider, type Sender } from '@ton/core';
import { DEFAULT_OP_VALUE, Op, PAYOUT_MIN_VALUE } from '../constants';
import { amountSeqMessage, deployedAt, send, Wrapper } from './send';

export interface RigAccountConfig {
  vault: Address;
  owner: Address;
}

export interface RigData {
  vault: Address;
  owner: Address;
  paid: bigint;
  lastSeq: bigint;
  pending: bigint;
}

export function rigAccountInitData(c: RigAccountConfig): Cell {
  return beginCell()
    .storeAddress(c.vault)
    .storeAddress(c.owner)
    .storeCoins(0) // paid
    .storeUint(0, 64) // last_seq
    .storeCoins(0) // pending
    .endCell();
}

export const rigAccountMessages = {
  claimEarnings: (a: { amount: bigint; seq: bigint; signature: Buffer; queryId?: bigint }) =>
    amountSeqMessage(Op.claimEarnings, a),
  paid: (a: { amount: bigint; seq: bigint; queryId?: bigint }) => amountSeqMessage(Op.paid, a),
  refused: (a: { amount: bigint; seq: bigint; queryId?: bigint }) => amountSeqMessage(Op.refused, a),
};

export class RigAccount extends Wrapper {
  static createFromConfig(config: RigAccountConfig, code: Cell, workchain = 0) {
    return new RigAccount(...deployedAt(code, rigAccountInitData(config), workchain));
  }

  /**
   * Presents the operator's earnings voucher; deploys the account on first use. The vault pays
   * `amount − paid` to the owner, with what is left of `value` after the gas.
   */
  async sendClaimEarnings(
    provider: ContractProvider,
    via: Sender,
    a: { amount: bigint; seq: bigint; signature: Buffer; value?: bigint },
  ) {
    await send(provider, via, rigAccountMessages.claimEarnings(a), a.value ?? PAYOUT_MIN_VALUE);
  }

  /** Only the vault may send this; exposed so tests can show that anyone else is refused. */
  async sendPaid(
    provider: ContractProvider,
    via: Sender,
    a: { amount: bigint; seq: bigint; value?: bigint },
  ) {
    await send(provider, via, rigAccountMessages.paid(a), a.value ?? DEFAULT_OP_VALUE);
  }

  async getRigData(provider: ContractProvider): Promise<RigData> {
    const r = (await provider.get('get_rig_data', [])).stack;
    return {
      vault: r.readAddress(),
      owner: r.readAddress(),
      paid: r.readBigNumber(),
      lastSeq: r.readBigNumber(),
      pending: r.readBigNumber(),
    };
  }
}
