// Refunds to users who paid from their on-chain account. The contract's `claimed` only grows, so money
// goes back the way any money goes in: a deposit into the user's account contract, sent from the service
// wallet by the on-chain sweep. A deposit's own gas (OP_FEE) is added on top, so the account is credited
// exactly the refund.
import { OP_FEE, userAccountMessages } from '@cocoon/contracts';
import type { Queryable } from '../db';
import { syncAccount } from './accounts';
import type { OnchainContext } from './context';

export async function queueOnchainRefund(
  q: Queryable,
  jobId: string,
  userId: string,
  amount: bigint,
): Promise<void> {
  await q.query(
    `INSERT INTO onchain_refunds (job_id, user_id, amount) VALUES ($1, $2, $3::numeric)
     ON CONFLICT (job_id) DO NOTHING`,
    [jobId, userId, amount.toString()],
  );
}

export async function unsentRefunds(
  q: Queryable,
): Promise<Array<{ job_id: string; user_id: string; amount: string; address: string }>> {
  const r = await q.query<{ job_id: string; user_id: string; amount: string; address: string }>(
    `SELECT f.job_id, f.user_id, f.amount::text, a.address FROM onchain_refunds f
     JOIN onchain_accounts a ON a.user_id = f.user_id WHERE f.sent_at IS NULL ORDER BY f.created_at LIMIT 50`,
  );
  return r.rows;
}

export async function markRefundSent(q: Queryable, jobId: string): Promise<void> {
  await q.query('UPDATE onchain_refunds SET sent_at = now() WHERE job_id = $1', [jobId]);
}

/** Pays queued refunds back into users' account contracts (a deposit each, its gas on top). */
export async function payRefunds(ctx: OnchainContext): Promise<number> {
  let paid = 0;
  for (const r of await unsentRefunds(ctx.db)) {
    await markRefundSent(ctx.db, r.job_id);
    const call = await ctx.chain.prepareContractCall([
      { to: r.address, amountNano: BigInt(r.amount) + OP_FEE, body: userAccountMessages.deposit() },
    ]);
    await ctx.chain.sendExternalBoc(call.boc);
    await syncAccount(ctx, r.user_id);
    paid++;
  }
  return paid;
}
