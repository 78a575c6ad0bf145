// The SQL on the `api_keys` table. Every function takes a Queryable (a pool or a transaction).
import type { Queryable } from '../db';

/** The user an unrevoked API key (by its hash) belongs to, and the key's id. */
export async function userByApiKeyHash(
  q: Queryable,
  keyHash: string,
): Promise<{ id: string; key_id: string } | undefined> {
  const r = await q.query<{ id: string; key_id: string }>(
    `SELECT u.id, u.name, u.deposit_memo, u.wallet_address, k.id AS key_id FROM api_keys k
     JOIN users u ON u.id = k.user_id WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
    [keyHash],
  );
  return r.rows[0];
}

export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  created_at: Date;
}

/** A user's unrevoked API keys, oldest first. */
export async function activeApiKeys(q: Queryable, userId: string): Promise<ApiKeyRow[]> {
  const r = await q.query<ApiKeyRow>(
    'SELECT id, name, prefix, created_at FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at',
    [userId],
  );
  return r.rows;
}

export async function insertApiKey(
  q: Queryable,
  key: { id: string; userId: string; name: string; prefix: string; keyHash: string },
): Promise<void> {
  await q.query('INSERT INTO api_keys (id, user_id, name, prefix, key_hash) VALUES ($1, $2, $3, $4, $5)', [
    key.id,
    key.userId,
    key.name,
    key.prefix,
    key.keyHash,
  ]);
}

/** Revokes the user's key; false when it has no such unrevoked key. */
export async function revokeApiKey(q: Queryable, userId: string, id: string): Promise<boolean> {
  const r = await q.query(
    'UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id',
    [id, userId],
  );
  return r.rows.length > 0;
}
