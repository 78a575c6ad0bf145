// Users are keyed by Telegram id. A new user gets a deposit memo and the trial credit, once.
import { randomBytes } from 'node:crypto';
import type { Db } from './db';
import { postTx, SYSTEM, trialAccount } from './ledger/ledger';
import { findUser, insertUser, renameUser, type UserRow } from './users-repository';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

export function newDepositMemo(): string {
  return `cocoon-${Array.from(randomBytes(10), (b) => BASE32[b % 32]).join('')}`;
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
    if (name && existing.name !== name) await renameUser(db, id, name);
    return { ...existing, name: name || existing.name };
  }
  return db.tx(async (q) => {
    await insertUser(q, id, name, newDepositMemo());
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
