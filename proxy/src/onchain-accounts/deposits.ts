// Deposits into a user's account contract: what the contract's cumulative `deposited` gained since the last
// sync credits the user's mirror (onchain:<user>), keyed by that total so a second sync credits nothing.
import type { Queryable } from '../db';
import { onchainAccount, postTx, SYSTEM } from '../ledger/ledger';

export async function creditNewDeposits(
  q: Queryable,
  a: { userId: string; address: string; total: bigint; recorded: bigint },
): Promise<void> {
  const deposited = a.total - a.recorded;
  if (deposited > 0n)
    await postTx(q, {
      kind: 'onchain_deposit',
      ref: a.address,
      uniqueKey: `onchain-deposit:${a.address}:${a.total}`,
      transfers: [{ from: SYSTEM.onchainDeposits, to: onchainAccount(a.userId), amount: deposited }],
    });
}
