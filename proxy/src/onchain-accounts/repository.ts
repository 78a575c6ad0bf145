// The SQL of on-chain accounts (service.ts says the flows): onchain_accounts, the vouchers on jobs, refunds
// waiting to go back on chain, rigs' payout vouchers and the ledger's commits to the vault. Every function
// takes a Queryable: the flows decide the transactions and the locks they hold.
import type { Queryable } from '../db';
import type { OnchainRow } from './context';

export async function accountRow(q: Queryable, userId: string): Promise<OnchainRow | undefined> {
  const r = await q.query<OnchainRow>(
    `SELECT user_id, wallet, address, spend_key, deposited::text, withdrawn::text, claimed::text,
       close_requested_at, vouchered::text, voucher_seq::text, voucher_signature, claiming_seq::text,
       claiming_at
     FROM onchain_accounts WHERE user_id = $1`,
    [userId],
  );
  return r.rows[0];
}

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

export async function storePayoutSignature(q: Queryable, wallet: string, signature: Buffer): Promise<void> {
  await q.query('UPDATE rig_account_payouts SET signature = $2 WHERE wallet = $1', [
    wallet,
    signature.toString('base64'),
  ]);
}

/**
 * The latest earnings voucher signed for `wallet`'s RigAccount, shown to the account that moved money to it
 * last (an account that binds a wallet someone else used sees a voucher once it moves money itself).
 */
export async function payoutVoucher(
  q: Queryable,
  ownerId: string,
  wallet: string,
): Promise<{ amount: string; seq: string; signature: string } | undefined> {
  const r = await q.query<{ amount: string; seq: string; signature: string | null }>(
    `SELECT amount::text, seq::text, signature FROM rig_account_payouts
     WHERE wallet = $1 AND owner_id = $2`,
    [wallet, ownerId],
  );
  const row = r.rows[0];
  return row?.signature ? { amount: row.amount, seq: row.seq, signature: row.signature } : undefined;
}

/** Records the user's account contract (a second registration only changes the spend key). */
export async function upsertOnchainAccount(
  q: Queryable,
  a: { userId: string; wallet: string; address: string; spendKey: string; claimed: bigint; lastSeq: bigint },
): Promise<void> {
  await q.query(
    `INSERT INTO onchain_accounts (user_id, wallet, address, spend_key, claimed, vouchered, voucher_seq)
     VALUES ($1, $2, $3, $4, $5::numeric, $5::numeric, $6)
     ON CONFLICT (user_id) DO UPDATE SET spend_key = $4`,
    [a.userId, a.wallet, a.address, a.spendKey, a.claimed.toString(), a.lastSeq.toString()],
  );
}

/** Locks the account row: the deposit and exit totals recorded so far. */
export async function lockOnchainTotals(
  q: Queryable,
  userId: string,
): Promise<Pick<OnchainRow, 'deposited' | 'withdrawn'>> {
  const r = await q.query<OnchainRow>(
    `SELECT deposited::text, withdrawn::text FROM onchain_accounts WHERE user_id = $1 FOR UPDATE`,
    [userId],
  );
  return r.rows[0];
}

/** Records what the contract says: totals, spend key, exit state; a claim the contract has seen is no longer in flight. */
export async function recordOnchainState(
  q: Queryable,
  s: {
    userId: string;
    deposited: bigint;
    withdrawn: bigint;
    claimed: bigint;
    spendKey: string;
    closeRequestedAt: Date | null;
    lastSeq: bigint;
  },
): Promise<void> {
  await q.query(
    `UPDATE onchain_accounts SET deposited = $2::numeric, withdrawn = $3::numeric, claimed = $4::numeric,
         spend_key = $5, close_requested_at = $6,
         claiming_seq = CASE WHEN $7::bigint >= coalesce(claiming_seq, 0) THEN NULL ELSE claiming_seq END,
         claiming_at = CASE WHEN $7::bigint >= coalesce(claiming_seq, 0) THEN NULL ELSE claiming_at END,
         synced_at = now()
       WHERE user_id = $1`,
    [
      s.userId,
      s.deposited.toString(),
      s.withdrawn.toString(),
      s.claimed.toString(),
      s.spendKey,
      s.closeRequestedAt,
      s.lastSeq.toString(),
    ],
  );
}

/** Locks the user's job: what its voucher must add, and whether it was signed. */
export async function lockVoucherDue(
  q: Queryable,
  jobId: string,
  userId: string,
): Promise<{ due: string | null; vouchered_at: Date | null } | undefined> {
  const r = await q.query<{ due: string | null; vouchered_at: Date | null }>(
    `SELECT voucher_due::text AS due, vouchered_at FROM jobs WHERE id = $1 AND user_id = $2 FOR UPDATE`,
    [jobId, userId],
  );
  return r.rows[0];
}

/** Locks the user's account row: what its vouchers signed so far. */
export async function lockVoucherState(
  q: Queryable,
  userId: string,
): Promise<Pick<OnchainRow, 'address' | 'spend_key' | 'vouchered' | 'voucher_seq'> | undefined> {
  const r = await q.query<OnchainRow>(
    `SELECT address, spend_key, vouchered::text, voucher_seq::text FROM onchain_accounts
         WHERE user_id = $1 FOR UPDATE`,
    [userId],
  );
  return r.rows[0];
}

/** Keeps the latest voucher the user signed. */
export async function recordVoucher(
  q: Queryable,
  userId: string,
  vouchered: bigint,
  seq: bigint,
  signature: string,
): Promise<void> {
  await q.query(
    `UPDATE onchain_accounts SET vouchered = $2::numeric, voucher_seq = $3, voucher_signature = $4
       WHERE user_id = $1`,
    [userId, vouchered.toString(), seq.toString(), signature],
  );
}

export async function markJobVouchered(q: Queryable, jobId: string): Promise<void> {
  await q.query('UPDATE jobs SET vouchered_at = now() WHERE id = $1', [jobId]);
}

/** A claim of voucher `seq` is in flight from now. */
export async function markClaiming(q: Queryable, userId: string, seq: string): Promise<void> {
  await q.query('UPDATE onchain_accounts SET claiming_seq = $2, claiming_at = now() WHERE user_id = $1', [
    userId,
    seq,
  ]);
}

/** The latest commit of the ledger to the vault. */
export async function lastLedgerCommit(
  q: Queryable,
): Promise<{ seq: string; hash: string; entries: string } | undefined> {
  const r = await q.query<{ seq: string; hash: string; entries: string }>(
    'SELECT seq::text, hash, entries::text FROM ledger_commits ORDER BY seq DESC LIMIT 1',
  );
  return r.rows[0];
}

/** How many ledger entries there are, and the last one's id. */
export async function ledgerEntryCount(q: Queryable): Promise<{ n: string; last: string | null }> {
  const r = await q.query<{ n: string; last: string | null }>(
    'SELECT count(*)::text AS n, max(id)::text AS last FROM ledger_entries',
  );
  return r.rows[0];
}

export async function insertLedgerCommit(
  q: Queryable,
  seq: bigint,
  hash: string,
  entries: string,
): Promise<void> {
  await q.query('INSERT INTO ledger_commits (seq, hash, entries) VALUES ($1, $2, $3)', [
    seq.toString(),
    hash,
    entries,
  ]);
}

/** The sequence number of the latest commit (0 before the first). */
export async function lastCommitSeq(q: Queryable): Promise<bigint> {
  const r = await q.query<{ seq: string | null }>('SELECT max(seq)::text AS seq FROM ledger_commits');
  return BigInt(r.rows[0].seq ?? '0');
}

/** The accounts a sweep visits first: those with something to do (vouchers to claim, an exit running), then those read longest ago. */
export async function accountsToSweep(q: Queryable, limit: number): Promise<{ user_id: string }[]> {
  const r = await q.query<{ user_id: string }>(
    `SELECT user_id FROM onchain_accounts
     ORDER BY (vouchered > claimed OR close_requested_at IS NOT NULL) DESC, synced_at
     LIMIT $1`,
    [limit],
  );
  return r.rows;
}

export async function hasOnchainAccount(q: Queryable, userId: string): Promise<boolean> {
  const r = await q.query('SELECT 1 FROM onchain_accounts WHERE user_id = $1', [userId]);
  return r.rows.length > 0;
}

/** Locks the user's account row (concurrent submits of one user take turns). */
export async function lockOnchainAccount(q: Queryable, userId: string): Promise<void> {
  await q.query('SELECT 1 FROM onchain_accounts WHERE user_id = $1 FOR UPDATE', [userId]);
}

/** The user's oldest job paid on chain that is queued, running, or owes its voucher. */
export async function openOnchainJob(
  q: Queryable,
  userId: string,
): Promise<{ id: string; state: string; due: string | null } | undefined> {
  const r = await q.query<{ id: string; state: string; due: string | null }>(
    `SELECT id, state, voucher_due::text AS due FROM jobs
     WHERE user_id = $1 AND pays_onchain
       AND (state IN ('queued', 'running') OR (voucher_due IS NOT NULL AND vouchered_at IS NULL))
     ORDER BY created_at LIMIT 1`,
    [userId],
  );
  return r.rows[0];
}

/** A job of the user whose voucher is due and not signed. */
export async function unsignedVoucherJob(
  q: Queryable,
  userId: string,
): Promise<{ id: string; due: string } | undefined> {
  const r = await q.query<{ id: string; due: string }>(
    `SELECT id, voucher_due::text AS due FROM jobs
       WHERE user_id = $1 AND voucher_due IS NOT NULL AND vouchered_at IS NULL LIMIT 1`,
    [userId],
  );
  return r.rows[0];
}

/** Adds `amount` to the wallet's payout voucher total, continuing from the chain's count when that is ahead (a voucher signed before totals were kept per wallet); the new total and sequence number. */
export async function addToPayout(
  q: Queryable,
  a: { wallet: string; ownerId: string; amount: bigint; paidOnChain: bigint; lastSeqOnChain: bigint },
): Promise<{ amount: bigint; seq: bigint }> {
  const r = await q.query<{ amount: string; seq: string }>(
    `INSERT INTO rig_account_payouts (wallet, owner_id, amount, seq)
     VALUES ($1, $2, $4::numeric + $3::numeric, $5::bigint + 1)
     ON CONFLICT (wallet) DO UPDATE SET
       amount = GREATEST(rig_account_payouts.amount, $4::numeric) + $3::numeric,
       seq = GREATEST(rig_account_payouts.seq, $5::bigint) + 1, owner_id = $2, updated_at = now()
     RETURNING amount::text, seq::text`,
    [a.wallet, a.ownerId, a.amount.toString(), a.paidOnChain.toString(), a.lastSeqOnChain.toString()],
  );
  return { amount: BigInt(r.rows[0].amount), seq: BigInt(r.rows[0].seq) };
}
