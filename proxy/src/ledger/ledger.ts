// The double-entry ledger. Every transaction moves amounts between accounts and its entries sum to zero.
// Balances live on the account rows, updated in the same transaction; user accounts can't go negative.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db';
import { InsufficientFunds } from '../errors';

export const SYSTEM = {
  deposits: 'system:deposits',
  withdrawals: 'system:withdrawals',
  fees: 'system:fees',
  trial: 'system:trial',
  unclaimed: 'system:unclaimed',
  networkFees: 'system:network_fees',
} as const;

export const userAccount = (userId: string) => `user:${userId}`;
export const holdAccount = (jobId: string) => `hold:${jobId}`;

export interface Transfer {
  from: string;
  to: string;
  amount: bigint;
}

function mayGoNegative(account: string): boolean {
  return account.startsWith('system:');
}

/**
 * Posts one ledger transaction. With `uniqueKey`, a second post with the same key does nothing and
 * reports `duplicate: true` (a deposit seen twice, a job settled twice). Throws InsufficientFunds when a
 * user or hold account would go below zero; the caller's database transaction then rolls back.
 */
export async function postTx(
  q: Queryable,
  tx: { kind: string; ref?: string; uniqueKey?: string; transfers: Transfer[] },
): Promise<{ txId: string; duplicate: boolean }> {
  const deltas = new Map<string, bigint>();
  for (const t of tx.transfers) {
    if (t.amount < 0n) throw new RangeError('transfer amounts are non-negative');
    if (t.amount === 0n) continue;
    deltas.set(t.from, (deltas.get(t.from) ?? 0n) - t.amount);
    deltas.set(t.to, (deltas.get(t.to) ?? 0n) + t.amount);
  }
  // Sorted account order keeps concurrent transactions from deadlocking on each other's rows.
  const accounts = [...deltas.keys()].sort();
  const txId = randomUUID();
  const amounts = accounts.map((a) => deltas.get(a)!.toString());
  // Two round trips whatever the number of accounts. First the ledger_tx row (a duplicate key stops
  // here) and any account seen for the first time. Not one upsert: PostgreSQL checks the CHECK
  // constraint on the proposed row before it sees the conflict, so a debit would fail on a new row.
  const t = await q.query<{ id: string }>(
    `WITH t AS (
       INSERT INTO ledger_tx (id, kind, ref, unique_key) VALUES ($1, $2, $3, $4)
       ON CONFLICT (unique_key) DO NOTHING RETURNING id
     ), a AS (
       INSERT INTO accounts (id, may_go_negative)
       SELECT * FROM unnest($5::text[], $6::boolean[]) WHERE EXISTS (SELECT 1 FROM t)
       ON CONFLICT (id) DO NOTHING
     )
     SELECT id FROM t`,
    [txId, tx.kind, tx.ref ?? null, tx.uniqueKey ?? null, accounts, accounts.map(mayGoNegative)],
  );
  if (t.rows.length === 0) return { txId, duplicate: true };
  // Then the balances and the entries. The account rows are locked in sorted order (the locking
  // sub-select sorts before it locks), so concurrent postings never deadlock on each other's rows; the
  // CHECK constraint refuses a user or hold account below zero.
  try {
    await q.query(
      `WITH d AS (
         SELECT * FROM unnest($2::text[], $3::numeric[]) AS d(id, delta)
       ), u AS (
         UPDATE accounts SET balance = accounts.balance + d.delta
         FROM (SELECT id FROM accounts WHERE id = ANY($2::text[]) ORDER BY id FOR UPDATE) l, d
         WHERE accounts.id = l.id AND d.id = l.id
       )
       INSERT INTO ledger_entries (tx_id, account_id, amount) SELECT $1, id, delta FROM d`,
      [txId, accounts, amounts],
    );
  } catch (err) {
    if ((err as { code?: string }).code === '23514') {
      const short = accounts.find((a) => !mayGoNegative(a) && deltas.get(a)! < 0n) ?? '';
      throw new InsufficientFunds(short.startsWith('user:') ? 'insufficient balance' : 'hold exceeded');
    }
    throw err;
  }
  return { txId, duplicate: false };
}

export async function balanceOf(q: Queryable, account: string): Promise<bigint> {
  const r = await q.query<{ balance: string }>(
    'SELECT balance::text AS balance FROM accounts WHERE id = $1',
    [account],
  );
  return BigInt(r.rows[0]?.balance ?? '0');
}

/** Sum of every entry and of every balance: both are zero in a healthy ledger. */
export async function ledgerTotals(q: Queryable): Promise<{ entries: bigint; balances: bigint }> {
  const e = await q.query<{ s: string | null }>('SELECT sum(amount)::text AS s FROM ledger_entries');
  const b = await q.query<{ s: string | null }>('SELECT sum(balance)::text AS s FROM accounts');
  return { entries: BigInt(e.rows[0].s ?? '0'), balances: BigInt(b.rows[0].s ?? '0') };
}

/** The money held for a user's unfinished jobs. */
export async function heldFor(q: Queryable, userId: string): Promise<bigint> {
  const r = await q.query<{ s: string | null }>(
    `SELECT sum(a.balance)::text AS s FROM jobs j JOIN accounts a ON a.id = 'hold:' || j.id::text
     WHERE j.user_id = $1 AND j.state IN ('quoted', 'queued', 'running')`,
    [userId],
  );
  return BigInt(r.rows[0].s ?? '0');
}
