// The deposit transfer: the user's deposit memo as a TON text comment (op 0 + UTF-8 tail), base64 BOC,
// which is what TON Connect's sendTransaction takes as a message payload.
import './buffer-polyfill';
import { beginCell } from '@ton/core';

export function commentPayload(text: string): string {
  return beginCell().storeUint(0, 32).storeStringTail(text).endCell().toBoc().toString('base64');
}

export interface DepositRequest {
  validUntil: number;
  messages: Array<{ address: string; amount: string; payload: string }>;
}

/** The sendTransaction request for a deposit of `amountNano` to the service wallet, valid for 5 minutes. */
export function depositTransaction(
  serviceAddress: string,
  amountNano: bigint,
  memo: string,
  now: number = Date.now(),
): DepositRequest {
  if (amountNano <= 0n) throw new RangeError('the deposit must be more than 0 TON');
  return {
    validUntil: Math.floor(now / 1000) + 300,
    messages: [{ address: serviceAddress, amount: amountNano.toString(), payload: commentPayload(memo) }],
  };
}
