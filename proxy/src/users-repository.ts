// The SQL on the `users` table's identity columns (wallet columns: wallet/repository.ts). Every function takes
// a Queryable: the caller decides whether it runs alone or inside a transaction.
import type { Queryable } from './db';

export interface UserRow {
  id: string;
  name: string;
  deposit_memo: string;
  wallet_address: string | null;
}

export async function findUser(q: Queryable, id: string): Promise<UserRow | undefined> {
  const r = await q.query<UserRow>('SELECT id, name, deposit_memo, wallet_address FROM users WHERE id = $1', [
    id,
  ]);
  return r.rows[0];
}

export async function renameUser(q: Queryable, id: string, name: string): Promise<void> {
  await q.query('UPDATE users SET name = $2 WHERE id = $1', [id, name]);
}

/** Inserts the user unless it exists (a racing insert wins, quietly). */
export async function insertUser(q: Queryable, id: string, name: string, depositMemo: string): Promise<void> {
  await q.query(
    'INSERT INTO users (id, name, deposit_memo) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
    [id, name, depositMemo],
  );
}
