// Users are keyed by Telegram id. A new user gets a deposit memo and the trial credit, once.
import { randomBytes } from 'node:crypto';
import type { Db, Queryable } from './db';
import { postTx, SYSTEM, trialAccount } from './ledger/ledger';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

export function newDepositMemo(): string {
  return `cocoon-${Array.from(randomBytes(10), (b) => BASE32[b % 32]).join('')}`;
}

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

/** Returns the user, creating it (with its trial credit) on first sight. Safe to race. */
export async function ensureUser(
  db: Db,
  id: string,
  name: string,
  trialCreditNano: bigint,
): Promise<UserRow> {
  const existing = await findUser(db, id);
  if (existing) {
    if (name && existing.name !== name)
      await db.query('UPDATE users SET name = $2 WHERE id = $1', [id, name]);
    return { ...existing, name: name || existing.name };
  }
  return db.tx(async (q) => {
    await q.query(
      'INSERT INTO users (id, name, deposit_memo) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
      [id, name, newDepositMemo()],
    );
    if (trialCreditNano > 0n) {
      await postTx(q, {
        kind: 'trial',
        ref: id,
        uniqueKey: `trial:${id}`,
        transfers: [{ from: SYSTEM.trial, to: trialAccount(id), amount: trialCreditNano }],
      });
    }
    return (await findUser(q, id))!;
  });
}
