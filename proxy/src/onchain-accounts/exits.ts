// Exits from a user's account contract: what the contract's cumulative `withdrawn` gained since the last sync
// (the owner's exit payout) debits the mirror; beyond the mirror's balance it comes from
// system:onchain_shortfall, the operator's loss. Keyed by that total so a second sync debits nothing.
import type { Queryable } from '../db';
import { onchainAccount, postTx, SYSTEM } from '../ledger/ledger';
import { lockBalance } from '../ledger/repository';

export async function debitExitPayouts(
  q: Queryable,
  a: { userId: string; address: string; total: bigint; recorded: bigint },
): Promise<void> {
  const withdrawn = a.total - a.recorded;
  if (withdrawn <= 0n) return;
  const mirror = await lockBalance(q, onchainAccount(a.userId));
  const fromMirror = minBig(withdrawn, mirror);
  await postTx(q, {
    kind: 'onchain_withdrawal',
    ref: a.address,
    uniqueKey: `onchain-withdrawal:${a.address}:${a.total}`,
    transfers: [
      { from: onchainAccount(a.userId), to: SYSTEM.onchainWithdrawals, amount: fromMirror },
      { from: SYSTEM.onchainShortfall, to: SYSTEM.onchainWithdrawals, amount: withdrawn - fromMirror },
    ],
  });
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
