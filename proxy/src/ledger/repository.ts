// The SQL on the ledger's tables (ledger_tx, ledger_entries, accounts). Every function takes a Queryable: the
// caller decides whether it runs alone or inside a transaction. The rules (who may go negative, what a
// posting must balance to) are ledger.ts's.
import type { Queryable } from '../db';

/**
 * One posting in one statement, one round trip: the ledger_tx row (a duplicate key stops everything else),
 * the balances and the entries. `debits` are plain UPDATEs (a missing row is not debited: the caller sees
 * `debited` short); `upserts` are created on first use. Returns how many ledger_tx rows (0: a duplicate) and
 * debit rows it wrote.
 */
export async function insertPosting(
  q: Queryable,
  p: {
    txId: string;
    kind: string;
    ref: string | null;
    uniqueKey: string | null;
    debits: { id: string; delta: bigint }[];
    upserts: { id: string; delta: bigint; mayGoNegative: boolean }[];
    entries: { id: string; delta: bigint }[];
  },
): Promise<{ inserted: number; debited: number }> {
  const r = await q.query<{ inserted: number; debited: number }>(
    `WITH t AS (
       INSERT INTO ledger_tx (id, kind, ref, unique_key) VALUES ($1, $2, $3, $4)
       ON CONFLICT (unique_key) DO NOTHING RETURNING id
     ), debit AS (
       UPDATE accounts SET balance = accounts.balance + d.delta
       FROM unnest($5::text[], $6::numeric[]) AS d(id, delta)
       WHERE accounts.id = d.id AND EXISTS (SELECT 1 FROM t)
       RETURNING accounts.id
     ), credit AS (
       INSERT INTO accounts (id, may_go_negative, balance)
       SELECT c.id, c.neg, c.delta FROM unnest($7::text[], $8::numeric[], $9::boolean[]) AS c(id, delta, neg)
       WHERE EXISTS (SELECT 1 FROM t) ORDER BY c.id
       ON CONFLICT (id) DO UPDATE SET balance = accounts.balance + EXCLUDED.balance
       RETURNING id
     ), entries AS (
       INSERT INTO ledger_entries (tx_id, account_id, amount)
       SELECT $1, a.id, a.delta FROM unnest($10::text[], $11::numeric[]) AS a(id, delta)
       WHERE a.id IN (SELECT id FROM debit UNION ALL SELECT id FROM credit)
     )
     SELECT (SELECT count(*) FROM t)::int AS inserted, (SELECT count(*) FROM debit)::int AS debited`,
    [
      p.txId,
      p.kind,
      p.ref,
      p.uniqueKey,
      p.debits.map((d) => d.id),
      p.debits.map((d) => d.delta.toString()),
      p.upserts.map((u) => u.id),
      p.upserts.map((u) => u.delta.toString()),
      p.upserts.map((u) => u.mayGoNegative),
      p.entries.map((e) => e.id),
      p.entries.map((e) => e.delta.toString()),
    ],
  );
  return r.rows[0];
}

export async function balanceOf(q: Queryable, account: string): Promise<bigint> {
  const r = await q.query<{ balance: string }>(
    'SELECT balance::text AS balance FROM accounts WHERE id = $1',
    [account],
  );
  return BigInt(r.rows[0]?.balance ?? '0');
}

/** Locks a ledger account's row and reads its balance (0 when it has none). */
export async function lockBalance(q: Queryable, account: string): Promise<bigint> {
  const r = await q.query<{ balance: string }>(
    'SELECT balance::text AS balance FROM accounts WHERE id = $1 FOR UPDATE',
    [account],
  );
  return BigInt(r.rows[0]?.balance ?? '0');
}

/** Locks the accounts in `ids` in id order (so concurrent lockers can't deadlock); their balances, 0 if absent. */
export async function lockBalances(q: Queryable, ids: string[]): Promise<Map<string, bigint>> {
  const r = await q.query<{ id: string; balance: string }>(
    'SELECT id, balance::text AS balance FROM accounts WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE',
    [ids],
  );
  const out = new Map(ids.map((id) => [id, 0n]));
  for (const row of r.rows) out.set(row.id, BigInt(row.balance));
  return out;
}

/** The balances of the accounts in `ids` that exist. */
export async function balancesOf(q: Queryable, ids: string[]): Promise<Map<string, bigint>> {
  const r = await q.query<{ id: string; balance: string }>(
    'SELECT id, balance::text AS balance FROM accounts WHERE id = ANY($1::text[])',
    [ids],
  );
  return new Map(r.rows.map((a) => [a.id, BigInt(a.balance)]));
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

export interface LedgerLine {
  tx_id: string;
  account_id: string;
  kind: string;
  amount: string;
  ref: string | null;
  created_at: Date;
}

/** The newest `limit` entries on `accounts`, newest first, with their transaction's kind and ref. */
export async function entriesOf(q: Queryable, accounts: string[], limit: number): Promise<LedgerLine[]> {
  const r = await q.query<LedgerLine>(
    `SELECT e.tx_id, e.account_id, t.kind, e.amount::text AS amount, t.ref, e.created_at FROM ledger_entries e
     JOIN ledger_tx t ON t.id = e.tx_id WHERE e.account_id = ANY($1::text[]) ORDER BY e.id DESC LIMIT $2`,
    [accounts, limit],
  );
  return r.rows;
}

/** What the postings with these unique keys moved on `account`, summed (negative: paid out of it). */
export async function postedOn(
  q: Queryable,
  uniqueKeys: readonly string[],
  account: string,
): Promise<bigint> {
  const r = await q.query<{ paid: string | null }>(
    `SELECT sum(e.amount)::text AS paid FROM ledger_tx t JOIN ledger_entries e ON e.tx_id = t.id
     WHERE t.unique_key = ANY($1::text[]) AND e.account_id = $2`,
    [uniqueKeys, account],
  );
  return BigInt(r.rows[0]?.paid ?? '0');
}
