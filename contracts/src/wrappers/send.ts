// How every wrapper sends: `body` with `value`, the forward fees paid by the sender on top.
import { type Cell, type ContractProvider, type Sender, SendMode } from '@ton/core';

export function send(provider: ContractProvider, via: Sender, body: Cell, value: bigint): Promise<void> {
  return provider.internal(via, { value, sendMode: SendMode.PAY_GAS_SEPARATELY, body });
}
