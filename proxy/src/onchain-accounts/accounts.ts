// A user's account contract as the ledger sees it: registering it as the money their jobs are paid from, and
// syncing it (deposits.ts and exits.ts post what changed; the claimed amount, spend key and exit state are
// recorded).
import { Address } from '@ton/core';
import { conflict } from '../errors';
import {
  accountRow,
  keyHex,
  type OnchainContext,
  type OnchainRow,
  readAccount,
  userAccountFor,
} from './context';
import { creditNewDeposits } from './deposits';
import { debitExitPayouts } from './exits';

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
  await ctx.db.query(
    `INSERT INTO onchain_accounts (user_id, wallet, address, spend_key, claimed, vouchered, voucher_seq)
     VALUES ($1, $2, $3, $4, $5::numeric, $5::numeric, $6)
     ON CONFLICT (user_id) DO UPDATE SET spend_key = $4`,
    [
      userId,
      wallet,
      account.address.toString(),
      keyHex(data.spendKey),
      data.claimed.toString(),
      data.lastSeq.toString(),
    ],
  );
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
    const row = (
      await q.query<OnchainRow>(
        `SELECT deposited::text, withdrawn::text FROM onchain_accounts WHERE user_id = $1 FOR UPDATE`,
        [userId],
      )
    ).rows[0];
    const address = before.address;
    await creditNewDeposits(q, { userId, address, total: data.deposited, recorded: BigInt(row.deposited) });
    await debitExitPayouts(q, { userId, address, total: data.withdrawn, recorded: BigInt(row.withdrawn) });
    await q.query(
      `UPDATE onchain_accounts SET deposited = $2::numeric, withdrawn = $3::numeric, claimed = $4::numeric,
         spend_key = $5, close_requested_at = $6,
         claiming_seq = CASE WHEN $7::bigint >= coalesce(claiming_seq, 0) THEN NULL ELSE claiming_seq END,
         claiming_at = CASE WHEN $7::bigint >= coalesce(claiming_seq, 0) THEN NULL ELSE claiming_at END,
         synced_at = now()
       WHERE user_id = $1`,
      [
        userId,
        data.deposited.toString(),
        data.withdrawn.toString(),
        data.claimed.toString(),
        keyHex(data.spendKey),
        data.closeRequestedAt ? new Date(data.closeRequestedAt * 1000) : null,
        data.lastSeq.toString(),
      ],
    );
  });
  return accountRow(ctx.db, userId);
}
