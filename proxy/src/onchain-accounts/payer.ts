// Which money a user's jobs are paid from: the withdrawable balance (custodial), or, once they opened an
// on-chain account, its mirror onchain:<user>, whose every spend the user signs for with a voucher.
import type { Queryable } from '../db';
import { HttpError } from '../errors';
import { balanceOf, onchainAccount, userAccount } from '../ledger/ledger';
import { hasOnchainAccount, lockOnchainAccount, openOnchainJob } from './repository';

export interface Payer {
  account: string;
  onchain: boolean;
}

export async function payerFor(q: Queryable, userId: string): Promise<Payer> {
  const r = await hasOnchainAccount(q, userId);
  return r
    ? { account: onchainAccount(userId), onchain: true }
    : { account: userAccount(userId), onchain: false };
}

/** What the payer's account holds now. */
export function payerBalance(q: Queryable, payer: Payer): Promise<bigint> {
  return balanceOf(q, payer.account);
}

/**
 * The proxy's exposure to an on-chain user is at most one job's hold: while a job paid from their on-chain
 * account is queued, running, or finished without its voucher signed, their next one is refused, naming it.
 * Queued and running jobs count too (their voucher is only due at settlement): jobs submitted at once must
 * not all pass. Called in the submit's transaction, the account row's lock makes concurrent submits of one
 * user take turns, so the second sees the first.
 */
export async function refuseWhileJobOpen(q: Queryable, userId: string): Promise<void> {
  await lockOnchainAccount(q, userId);
  const r = await openOnchainJob(q, userId);
  const job = r;
  if (!job) return;
  if (job.due !== null)
    throw new HttpError(
      409,
      'voucher_due',
      `job ${job.id} cost ${job.due} nanoTON and its voucher is not signed yet: sign it (POST /v1/jobs/${job.id}/voucher) before the next job`,
    );
  throw new HttpError(
    409,
    'onchain_job_open',
    `job ${job.id} is ${job.state} and paid from your on-chain account, which pays one job at a time: wait for it to finish (and sign its voucher) before the next job`,
  );
}
