// Which money a user's jobs are paid from: the withdrawable balance (custodial), or, once they opened an
// on-chain account, its mirror onchain:<user>, whose every spend the user signs for with a voucher.
import type { Queryable } from '../db';
import { HttpError } from '../errors';
import { balanceOf, onchainAccount, userAccount } from '../ledger/ledger';

export interface Payer {
  account: string;
  onchain: boolean;
}

export async function payerFor(q: Queryable, userId: string): Promise<Payer> {
  const r = await q.query('SELECT 1 FROM onchain_accounts WHERE user_id = $1', [userId]);
  return r.rows.length
    ? { account: onchainAccount(userId), onchain: true }
    : { account: userAccount(userId), onchain: false };
}

/** What the payer's account holds now. */
export function payerBalance(q: Queryable, payer: Payer): Promise<bigint> {
  return balanceOf(q, payer.account);
}

/**
 * At most one job per on-chain user waits for its voucher: the proxy's exposure to a user who stops signing
 * is one job. Throws when one is waiting, naming it.
 */
export async function refuseWhileVoucherDue(q: Queryable, userId: string): Promise<void> {
  const r = await q.query<{ id: string; due: string }>(
    `SELECT id, voucher_due::text AS due FROM jobs
     WHERE user_id = $1 AND voucher_due IS NOT NULL AND vouchered_at IS NULL LIMIT 1`,
    [userId],
  );
  const job = r.rows[0];
  if (job)
    throw new HttpError(
      409,
      'voucher_due',
      `job ${job.id} cost ${job.due} nanoTON and its voucher is not signed yet: sign it (POST /v1/jobs/${job.id}/voucher) before the next job`,
    );
}
