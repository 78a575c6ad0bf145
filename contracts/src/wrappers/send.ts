// What every wrapper shares: how it is made (from an address, or from the code and data that deploy it), how it
// heads its messages (op, query id) and how it sends them: `body` with `value`, the forward fees paid by the
// sender on top.
import {
  type Address,
  type Builder,
  beginCell,
  type Cell,
  type Contract,
  type ContractProvider,
  contractAddress,
  type Sender,
  SendMode,
} from '@ton/core';
import { signatureCell } from '../vouchers';

/** A fresh query id: the time in ms (the contracts echo it back; nothing depends on its value). */
export const queryId = () => BigInt(Date.now());

/** Every message's first 96 bits: its op and its query id (a fresh one unless given). */
export function header(op: number, q: bigint = queryId()): Builder {
  return beginCell().storeUint(op, 32).storeUint(q, 64);
}

/** A message about a voucher's amount and seq: both after the header, and the signature in a ref when signed. */
export function amountSeqMessage(
  op: number,
  a: { amount: bigint; seq: bigint; signature?: Buffer; queryId?: bigint },
): Cell {
  const b = header(op, a.queryId).storeCoins(a.amount).storeUint(a.seq, 64);
  return (a.signature ? b.storeRef(signatureCell(a.signature)) : b).endCell();
}

export function send(provider: ContractProvider, via: Sender, body: Cell, value: bigint): Promise<void> {
  return provider.internal(via, { value, sendMode: SendMode.PAY_GAS_SEPARATELY, body });
}

/** The code and data that deploy a contract. */
export type StateInit = { code: Cell; data: Cell };

/** A contract at `address`; `init` when made from its config, to deploy it. */
export abstract class Wrapper implements Contract {
  constructor(
    readonly address: Address,
    readonly init?: StateInit,
  ) {}

  /** The contract already at `address`. */
  static createFromAddress<T>(this: new (address: Address) => T, address: Address): T {
    return new this(address);
  }
}

/** The address of the contract that `code` and `data` deploy in `workchain`, and its state init. */
export function deployedAt(code: Cell, data: Cell, workchain: number): [Address, StateInit] {
  const init = { code, data };
  return [contractAddress(workchain, init), init];
}
