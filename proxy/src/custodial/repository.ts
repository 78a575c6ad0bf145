// The SQL of custodial TON (store.ts says the flows and the fee accounting): ton_deposits, the watcher cursor
// and the sender lease (ton_watcher_cursor), ton_proof payloads and ton_withdrawals. Every function takes a
// Queryable: the caller decides whether it runs alone or inside its transaction.
import type { DepositCredit, InboundCursor, PreparedTransfer } from '../chain';
import type { Queryable } from '../db';

// ---------- deposits ----------

/** The user whose deposit memo this is. */
export async function userIdByDepositMemo(q: Queryable, memo: string): Promise<{ id: string } | undefined> {
  const r = await q.query<{ id: string }>('SELECT id FROM users WHERE deposit_memo = $1', [memo]);
  return r.rows[0];
}

/** Records a deposit seen on chain; false when its transaction was recorded before. */
export async function insertDeposit(q: Queryable, d: DepositCredit, userId: string | null): Promise<boolean> {
  const r = await q.query<{ tx_key: string }>(
    `INSERT INTO ton_deposits (tx_key, memo, comment, amount_nano, from_address, user_id, utime)
           VALUES ($1, $2, $3, $4::numeric, $5, $6, $7) ON CONFLICT (tx_key) DO NOTHING RETURNING tx_key`,
    [d.txKey, d.memo, d.comment?.slice(0, 512) ?? null, d.amountNano, d.from, userId, d.utime],
  );
  return r.rows.length > 0;
}

/** The deposit watcher's saved cursor. */
export async function loadCursor(
  q: Queryable,
  id: string,
): Promise<{ cursor: InboundCursor | null } | undefined> {
  const r = await q.query<{ cursor: InboundCursor | null }>(
    'SELECT cursor FROM ton_watcher_cursor WHERE id = $1',
    [id],
  );
  return r.rows[0];
}

export async function saveCursor(q: Queryable, id: string, cursor: InboundCursor | null): Promise<void> {
  await q.query(
    `INSERT INTO ton_watcher_cursor (id, cursor, updated_at) VALUES ($1, $2::jsonb, now())
         ON CONFLICT (id) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()`,
    [id, JSON.stringify(cursor)],
  );
}

/** Bounded table: payloads expired for a day are of no use to anyone. */
export async function pruneProofPayloads(q: Queryable): Promise<void> {
  await q.query("DELETE FROM ton_proof_payloads WHERE expires_at < now() - interval '1 day'");
}

export async function insertProofPayload(
  q: Queryable,
  payload: string,
  expiresAtSec: number,
  userId: string | null,
): Promise<void> {
  await q.query(
    'INSERT INTO ton_proof_payloads (payload, expires_at, user_id) VALUES ($1, to_timestamp($2), $3)',
    [payload, expiresAtSec, userId],
  );
}

/** Marks an unused, unexpired payload issued to `userId` used; false when there is none. One UPDATE decides: concurrent consumers can't both see used_at IS NULL. */
export async function consumeProofPayload(
  q: Queryable,
  payload: string,
  nowSec: number,
  userId: string | null,
): Promise<boolean> {
  const r = await q.query(
    `UPDATE ton_proof_payloads SET used_at = now()
         WHERE payload = $1 AND used_at IS NULL AND expires_at >= to_timestamp($2)
           AND user_id IS NOT DISTINCT FROM $3 RETURNING payload`,
    [payload, nowSec, userId],
  );
  return r.rows.length > 0;
}

/** Whether a payload issued to `userId` was used; undefined when there is none. */
export async function proofPayloadUsed(
  q: Queryable,
  payload: string,
  userId: string | null,
): Promise<{ used: boolean } | undefined> {
  const r = await q.query<{ used: boolean }>(
    'SELECT used_at IS NOT NULL AS used FROM ton_proof_payloads WHERE payload = $1 AND user_id IS NOT DISTINCT FROM $2',
    [payload, userId],
  );
  return r.rows[0];
}

// ---------- withdrawals ----------

export interface WithdrawalRow {
  id: string;
  user_id: string;
  to_address: string;
  amount_nano: string;
  fee_nano: string;
  status: 'pending' | 'sent' | 'confirmed' | 'failed';
  idempotency_key: string;
  tx_hash: string | null;
  fees_paid_nano: string | null;
  reason: string | null;
  created_at: Date;
}

const ROW = `id::text AS id, user_id, to_address, amount_nano::text AS amount_nano, fee_nano::text AS fee_nano,
  status, idempotency_key, tx_hash, fees_paid_nano::text AS fees_paid_nano, reason, created_at`;

export async function findWithdrawal(
  q: Queryable,
  userId: string,
  idempotencyKey: string,
): Promise<WithdrawalRow | undefined> {
  const r = await q.query<WithdrawalRow>(
    `SELECT ${ROW} FROM ton_withdrawals WHERE user_id = $1 AND idempotency_key = $2`,
    [userId, idempotencyKey],
  );
  return r.rows[0];
}

export async function listWithdrawals(q: Queryable, userId: string): Promise<WithdrawalRow[]> {
  return (
    await q.query<WithdrawalRow>(
      `SELECT ${ROW} FROM ton_withdrawals WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT 100`,
      [userId],
    )
  ).rows;
}

/** How long a proxy process holds the right to send withdrawals without renewing it. */
export const SENDER_LEASE_S = 30;

/**
 * Only one process may sign with the service wallet at a time (one seqno, one message in flight).
 * Several proxies on one PostgreSQL share a lease row (kept in ton_watcher_cursor, id
 * 'withdrawal-sender-lease'); the holder renews it every tick, another takes over once it lapses.
 * Correctness doesn't rest on it (a message lands at most once and is requeued only when it
 * provably can't land), it just keeps two senders from wasting seqnos on each other.
 */
export async function holdSenderLease(q: Queryable, holder: string): Promise<boolean> {
  const r = await q.query(
    `INSERT INTO ton_watcher_cursor (id, cursor, updated_at)
     VALUES ('withdrawal-sender-lease', jsonb_build_object('holder', $1::text), now())
     ON CONFLICT (id) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()
     WHERE ton_watcher_cursor.cursor->>'holder' = $1::text
        OR ton_watcher_cursor.updated_at < now() - $2::int * interval '1 second'
     RETURNING id`,
    [holder, SENDER_LEASE_S],
  );
  return r.rows.length > 0;
}

/** A rig owner's earnings from jobs whose audit is still open: not paid out, by any route, until decided. */
export async function earningsAwaitingAudit(q: Queryable, ownerId: string): Promise<bigint> {
  const r = await q.query<{ n: string }>(
    `SELECT coalesce(sum(j.rig_nano), 0)::text AS n FROM jobs j JOIN rigs r ON r.id = j.rig_id
     WHERE r.owner_id = $1 AND j.state = 'done' AND j.audit_state = 'pending'`,
    [ownerId],
  );
  return BigInt(r.rows[0].n);
}

/** Queues a withdrawal; undefined when the user has one with this idempotency key already. */
export async function insertWithdrawal(
  q: Queryable,
  w: {
    id: string;
    userId: string;
    toAddress: string;
    amountNano: bigint;
    feeNano: bigint;
    idempotencyKey: string;
  },
): Promise<WithdrawalRow | undefined> {
  const r = await q.query<WithdrawalRow>(
    `INSERT INTO ton_withdrawals (id, user_id, to_address, amount_nano, fee_nano, idempotency_key)
       VALUES ($1, $2, $3, $4::numeric, $5::numeric, $6)
       ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING ${ROW}`,
    [w.id, w.userId, w.toAddress, w.amountNano, w.feeNano, w.idempotencyKey],
  );
  return r.rows[0];
}

/** The oldest pending withdrawal. */
export async function nextPendingWithdrawal(
  q: Queryable,
): Promise<{ id: string; to_address: string; amount_nano: string } | undefined> {
  const r = await q.query<{ id: string; to_address: string; amount_nano: string }>(
    `SELECT id::text AS id, to_address, amount_nano::text AS amount_nano FROM ton_withdrawals
         WHERE status = 'pending' ORDER BY created_at, id LIMIT 1`,
  );
  return r.rows[0];
}

/** A sent withdrawal and the transfer it was signed as. */
export interface SentWithdrawalRow {
  id: string;
  to_address: string;
  amount_nano: string;
  external_hash: string;
  seqno: number;
  valid_until: string;
  boc: string;
}

/** Withdrawals sent and not final, oldest first (at most 100). */
export async function sentWithdrawals(q: Queryable): Promise<SentWithdrawalRow[]> {
  const r = await q.query<SentWithdrawalRow>(
    `SELECT id::text AS id, to_address, amount_nano::text AS amount_nano, external_hash, seqno,
           valid_until::text AS valid_until, boc
         FROM ton_withdrawals WHERE status = 'sent' ORDER BY sent_at, id LIMIT 100`,
  );
  return r.rows;
}

/** pending → sent, with the signed transfer; false when it is not pending. */
export async function markWithdrawalSent(q: Queryable, id: string, t: PreparedTransfer): Promise<boolean> {
  const r = await q.query(
    `UPDATE ton_withdrawals SET status = 'sent', external_hash = $2, seqno = $3, valid_until = $4,
           boc = $5, sent_at = now(), attempts = attempts + 1
         WHERE id = $1 AND status = 'pending' RETURNING id`,
    [id, t.externalHash, t.seqno, t.validUntil, t.boc],
  );
  return r.rows.length > 0;
}

/** sent → confirmed, with what the chain charged; false when it is not sent. */
export async function markWithdrawalConfirmed(
  q: Queryable,
  id: string,
  txHash: string,
  feesPaidNano: bigint,
): Promise<boolean> {
  const r = await q.query(
    `UPDATE ton_withdrawals SET status = 'confirmed', tx_hash = $2, fees_paid_nano = $3::numeric,
             finished_at = now() WHERE id = $1 AND status = 'sent' RETURNING id`,
    [id, txHash, feesPaidNano],
  );
  return r.rows.length > 0;
}

/** pending or sent → failed; what to give back, undefined when it can't fail now. */
export async function markWithdrawalFailed(
  q: Queryable,
  id: string,
  reason: string,
): Promise<{ user_id: string; amount_nano: string; fee_nano: string } | undefined> {
  const r = await q.query<{ user_id: string; amount_nano: string; fee_nano: string }>(
    `UPDATE ton_withdrawals SET status = 'failed', reason = $2, finished_at = now()
           WHERE id = $1 AND status IN ('pending', 'sent')
           RETURNING user_id, amount_nano::text AS amount_nano, fee_nano::text AS fee_nano`,
    [id, reason.slice(0, 500)],
  );
  return r.rows[0];
}

/** sent → pending again (it provably can't land); false when it is not sent. */
export async function requeueWithdrawal(q: Queryable, id: string, reason: string): Promise<boolean> {
  const r = await q.query(
    `UPDATE ton_withdrawals SET status = 'pending', reason = $2, external_hash = NULL, seqno = NULL,
           valid_until = NULL, boc = NULL WHERE id = $1 AND status = 'sent' RETURNING id`,
    [id, reason.slice(0, 500)],
  );
  return r.rows.length > 0;
}

export interface UnclaimedDeposit {
  tx_key: string;
  amount_nano: string;
  from_address: string;
  comment: string | null;
  created_at: Date;
}

/** Deposits no memo matched (system:unclaimed), newest first (at most 500), and their total. */
export async function unclaimedDeposits(
  q: Queryable,
): Promise<{ deposits: UnclaimedDeposit[]; totalNano: string }> {
  const r = await q.query<UnclaimedDeposit>(
    `SELECT tx_key, amount_nano::text AS amount_nano, from_address, comment, created_at FROM ton_deposits
     WHERE user_id IS NULL ORDER BY created_at DESC, tx_key LIMIT 500`,
  );
  const total = await q.query<{ s: string | null }>(
    'SELECT sum(amount_nano)::text AS s FROM ton_deposits WHERE user_id IS NULL',
  );
  return { deposits: r.rows, totalNano: total.rows[0].s ?? '0' };
}
