// A user's account contract as the ledger sees it: registering it as the money their jobs are paid from, and
// syncing it (deposits.ts and exits.ts post what changed; the claimed amount, spend key and exit state are
// recorded).
import { Address } from '@ton/core';
import { conflict } from '../errors';
import { keyHex, type OnchainContext, type OnchainRow, readAccount, userAccountFor } from './context';
import { creditNewDeposits } from './deposits';
import { debitExitPayouts } from './exits';
import { accountRow, lockOnchainTotals, recordOnchainState, upsertOnchainAccount } from './repository';

/**
 * Makes the user's on-chain account the money their jobs are paid from. The account must be deployed at
 * the address their bound wallet derives, with a spend key set: the key the proxy will check vouchers by.
 */
export async function registerAccount(
  ctx: OnchainContext,
  userId: string,
  wallet: string,
): Promise<OnchainRow> {
  const account = userAccountFor(ctx, wallet);
  const data = await readAccount(ctx, account.address);
  if (!data)
    throw conflict(
      `no account contract at ${account.address.toString()} yet: deploy it with a first deposit from your wallet`,
      'not_deployed',
    );
  if (data.spendKey === 0n)
    throw conflict('the account has no spend key yet: authorize one from your wallet first', 'no_spend_key');
  await upsertOnchainAccount(ctx.db, {
    userId,
    wallet,
    address: account.address.toString(),
    spendKey: keyHex(data.spendKey),
    claimed: data.claimed,
    lastSeq: data.lastSeq,
  });
  await syncAccount(ctx, userId);
  return (await accountRow(ctx.db, userId))!;
}

/**
 * Brings the ledger level with the contract: new deposits credit the mirror, an exit's payout debits it
 * (beyond its balance from system:onchain_shortfall, the operator's loss), and the claimed amount, the
 * spend key and the exit state are recorded. Each step is keyed by the contract's cumulative totals, so
 * running it twice moves nothing twice.
 */
export async function syncAccount(ctx: OnchainContext, userId: string): Promise<OnchainRow | undefined> {
  const before = await accountRow(ctx.db, userId);
  if (!before) return undefined;
  const data = await readAccount(ctx, Address.parse(before.address));
  if (!data) return before;
  await ctx.db.tx(async (q) => {
    const row = await lockOnchainTotals(q, userId);
    const address = before.address;
    await creditNewDeposits(q, { userId, address, total: data.deposited, recorded: BigInt(row.deposited) });
    await debitExitPayouts(q, { userId, address, total: data.withdrawn, recorded: BigInt(row.withdrawn) });
    await recordOnchainState(q, {
      userId,
      deposited: data.deposited,
      withdrawn: data.withdrawn,
      claimed: data.claimed,
      spendKey: keyHex(data.spendKey),
      closeRequestedAt: data.closeRequestedAt ? new Date(data.closeRequestedAt * 1000) : null,
      lastSeq: data.lastSeq,
    });
  });
  return accountRow(ctx.db, userId);
}
