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
  const txId = randomUUID();
  const inserted = await q.query<{ id: string }>(
    `INSERT INTO ledger_tx (id, kind, ref, unique_key) VALUES ($1, $2, $3, $4)
     ON CONFLICT (unique_key) DO NOTHING RETURNING id`,
    [txId, tx.kind, tx.ref ?? null, tx.uniqueKey ?? null],
  );
  if (inserted.rows.length === 0) return { txId, duplicate: true };

  const deltas = new Map<string, bigint>();
  for (const t of tx.transfers) {
    if (t.amount < 0n) throw new RangeError('transfer amounts are non-negative');
    if (t.amount === 0n) continue;
    deltas.set(t.from, (deltas.get(t.from) ?? 0n) - t.amount);
    deltas.set(t.to, (deltas.get(t.to) ?? 0n) + t.amount);
  }
  // Sorted account order keeps concurrent transactions from deadlocking on each other's rows.
  for (const account of [...deltas.keys()].sort()) {
    const delta = deltas.get(account)!;
    await q.query('INSERT INTO accounts (id, may_go_negative) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [
      account,
      mayGoNegative(account),
    ]);
    try {
      await q.query('UPDATE accounts SET balance = balance + $2::numeric WHERE id = $1', [account, delta]);
    } catch (err) {
      if ((err as { code?: string }).code === '23514') {
        throw new InsufficientFunds(account.startsWith('user:') ? 'insufficient balance' : 'hold exceeded');
      }
      throw err;
    }
    await q.query('INSERT INTO ledger_entries (tx_id, account_id, amount) VALUES ($1, $2, $3::numeric)', [
      txId,
      account,
      delta,
    ]);
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
