// The SQL on the `users` table's wallet columns (the bound wallet and a pending change). Every function takes
// a Queryable. A unique-violation (23505: the wallet is bound to another account) reaches the caller.
import type { Queryable } from '../db';

export type WalletRow = {
  wallet_address: string | null;
  pending_wallet_address: string | null;
  pending_wallet_at: Date | null;
};
const COLUMNS = 'wallet_address, pending_wallet_address, pending_wallet_at';

export async function walletRow(q: Queryable, userId: string): Promise<WalletRow | undefined> {
  return (await q.query<WalletRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [userId])).rows[0];
}

/** Applies the pending change if its time has come; the row after it (undefined when none was due). */
export async function applyDueWalletChange(q: Queryable, userId: string): Promise<WalletRow | undefined> {
  const r = await q.query<WalletRow>(
    `UPDATE users SET wallet_address = pending_wallet_address, pending_wallet_address = NULL,
       pending_wallet_at = NULL
     WHERE id = $1 AND pending_wallet_at <= now() RETURNING ${COLUMNS}`,
    [userId],
  );
  return r.rows[0];
}

/** Drops the pending change; the row after it. */
export async function clearPendingWallet(q: Queryable, userId: string): Promise<WalletRow | undefined> {
  const r = await q.query<WalletRow>(
    `UPDATE users SET pending_wallet_address = NULL, pending_wallet_at = NULL WHERE id = $1
     RETURNING ${COLUMNS}`,
    [userId],
  );
  return r.rows[0];
}

export async function walletTakenByAnother(q: Queryable, userId: string, wallet: string): Promise<boolean> {
  const r = await q.query('SELECT 1 FROM users WHERE wallet_address = $1 AND id <> $2', [wallet, userId]);
  return r.rows.length > 0;
}

/** Binds `wallet` at once, dropping any pending change. */
export async function setWallet(q: Queryable, userId: string, wallet: string): Promise<void> {
  await q.query(
    `UPDATE users SET wallet_address = $2, pending_wallet_address = NULL, pending_wallet_at = NULL
     WHERE id = $1`,
    [userId, wallet],
  );
}

/** Starts a change to `wallet` that takes effect after `delayS` seconds. */
export async function setPendingWallet(
  q: Queryable,
  userId: string,
  wallet: string,
  delayS: number,
): Promise<void> {
  await q.query(
    `UPDATE users SET pending_wallet_address = $2, pending_wallet_at = now() + $3 * interval '1 second'
     WHERE id = $1`,
    [userId, wallet, delayS],
  );
}

/** The wallet withdrawals go to; null when none is bound. */
export async function boundWallet(q: Queryable, userId: string): Promise<string | null> {
  const r = await q.query<{ wallet_address: string | null }>(
    'SELECT wallet_address FROM users WHERE id = $1',
    [userId],
  );
  return r.rows[0]?.wallet_address ?? null;
}
