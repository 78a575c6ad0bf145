// Migration 014 seeds the per-wallet earnings totals from the old per-owner ones: each wallet starts at the
// largest voucher signed for it (amount and sequence), never below one already handed out; the signature is
// kept only when it is for both. Run on the test database inside a transaction that is rolled back.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, resetDb } from '../testing/harness';
import type { Db, Queryable } from './index';

const here = dirname(fileURLToPath(import.meta.url));
let db: Db;
beforeAll(async () => {
  db = await openTestDb();
  await resetDb(db);
});
afterAll(async () => db?.close());

/** Migration 014's statements after its CREATE TABLE (the table exists here): the seed and the drop. */
function seedStatements(): string[] {
  const sql = readFileSync(join(here, 'migrations', '014_rig_account_payouts.sql'), 'utf8');
  return sql
    .replace(/--.*$/gm, '')
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith('CREATE TABLE'));
}

async function oldTotals(q: Queryable) {
  await q.query(
    `CREATE TABLE onchain_payouts (owner_id text PRIMARY KEY REFERENCES users(id), wallet text NOT NULL,
       amount numeric(39,0) NOT NULL DEFAULT 0, seq bigint NOT NULL DEFAULT 0, signature text,
       updated_at timestamptz NOT NULL DEFAULT now())`,
  );
  for (const [owner, wallet, amount, seq] of [
    ['1', 'W2', '2100', 2], // switched from W1 to W2: the voucher for W2 said the whole total
    ['2', 'W1', '500', 1],
    ['3', 'W1', '3000', 4], // W1 used by two owners: the larger voucher wins
    ['4', 'W3', '5000', 1],
    ['5', 'W3', '1000', 3], // the larger amount and the larger seq from different rows
  ] as const) {
    await q.query(`INSERT INTO users (id, deposit_memo) VALUES ($1, $2)`, [owner, `memo-${owner}`]);
    await q.query(
      'INSERT INTO onchain_payouts (owner_id, wallet, amount, seq, signature) VALUES ($1, $2, $3, $4, $5)',
      [owner, wallet, amount, seq, `sig-${owner}`],
    );
  }
}

describe('migration 014', () => {
  it('seeds each wallet from the per-owner totals, never below a voucher signed for it', async () => {
    const rolledBack = new Error('rolled back');
    const seen = await db
      .tx(async (q) => {
        await oldTotals(q);
        for (const stmt of seedStatements()) await q.query(stmt);
        const r = await q.query(
          `SELECT wallet, amount::text, seq::text, signature, owner_id FROM rig_account_payouts ORDER BY wallet`,
        );
        throw Object.assign(rolledBack, { rows: r.rows });
      })
      .catch((err) =>
        err === rolledBack ? (err as unknown as { rows: unknown[] }).rows : Promise.reject(err),
      );
    expect(seen).toEqual([
      { wallet: 'W1', amount: '3000', seq: '4', signature: 'sig-3', owner_id: '3' },
      { wallet: 'W2', amount: '2100', seq: '2', signature: 'sig-1', owner_id: '1' },
      { wallet: 'W3', amount: '5000', seq: '3', signature: null, owner_id: '4' },
    ]);
    // Rolled back: the test database is as it was.
    const left = await db.query("SELECT to_regclass('onchain_payouts')::text AS t");
    expect(left.rows[0]).toEqual({ t: null });
  });
});
