// Every SQL statement of Telegram Stars: purchases (stars_purchases), the balances a purchase moves, and
// rig earnings held from Stars-paid jobs (stars_earnings_holds). Money moves only through the ledger
// (ledger/ledger.ts postTx); these rows say why and when.
import type { Queryable } from '../db';
import { starsAccount, starsReceivableAccount } from '../ledger/ledger';
import { lockBalances } from '../ledger/repository';

export interface PurchaseRow {
  id: string;
  user_id: string;
  payload: string;
  stars: number;
  rate_nano_per_star: string;
  nano: string;
  state: 'pending' | 'paid' | 'refunded' | 'reversed';
  telegram_payment_charge_id: string | null;
  created_at: Date;
  expires_at: Date;
  paid_at: Date | null;
  ended_at: Date | null;
}

const PURCHASE_COLUMNS = `id, user_id, payload, stars, rate_nano_per_star::text AS rate_nano_per_star,
  nano::text AS nano, state, telegram_payment_charge_id, created_at, expires_at, paid_at, ended_at`;

export async function insertPurchase(
  q: Queryable,
  p: {
    id: string;
    userId: string;
    payload: string;
    stars: number;
    rate: bigint;
    nano: bigint;
    ttlMs: number;
  },
): Promise<void> {
  await q.query(
    `INSERT INTO stars_purchases (id, user_id, payload, stars, rate_nano_per_star, nano, expires_at)
     VALUES ($1, $2, $3, $4, $5::numeric, $6::numeric, now() + $7::int * interval '1 millisecond')`,
    [p.id, p.userId, p.payload, p.stars, p.rate.toString(), p.nano.toString(), p.ttlMs],
  );
}

/** A user's invoices waiting for a payment (not expired). */
export async function openInvoiceCount(q: Queryable, userId: string): Promise<number> {
  const r = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM stars_purchases
     WHERE user_id = $1 AND state = 'pending' AND expires_at > now()`,
    [userId],
  );
  return r.rows[0].n;
}

async function onePurchase(q: Queryable, where: string, value: string, lock: boolean) {
  const r = await q.query<PurchaseRow>(
    `SELECT ${PURCHASE_COLUMNS} FROM stars_purchases WHERE ${where} = $1${lock ? ' FOR UPDATE' : ''}`,
    [value],
  );
  return r.rows[0];
}

export const purchaseByPayload = (q: Queryable, payload: string, lock = false) =>
  onePurchase(q, 'payload', payload, lock);
export const purchaseByCharge = (q: Queryable, chargeId: string, lock = false) =>
  onePurchase(q, 'telegram_payment_charge_id', chargeId, lock);
export const purchaseById = (q: Queryable, id: string, lock = false) => onePurchase(q, 'id', id, lock);

/** Whether the invoice has expired by the database's clock. */
export async function purchaseExpired(q: Queryable, id: string): Promise<boolean> {
  const r = await q.query<{ expired: boolean }>(
    'SELECT expires_at <= now() AS expired FROM stars_purchases WHERE id = $1',
    [id],
  );
  return r.rows[0]?.expired ?? true;
}

export async function markPaid(q: Queryable, id: string, chargeId: string): Promise<void> {
  await q.query(
    `UPDATE stars_purchases SET state = 'paid', telegram_payment_charge_id = $2, paid_at = now() WHERE id = $1`,
    [id, chargeId],
  );
}

/** A purchase ends refunded (by the buyer or the operator) or reversed (by Telegram). */
export async function markEnded(
  q: Queryable,
  id: string,
  state: 'refunded' | 'reversed' | 'paid',
  chargeId?: string,
): Promise<void> {
  await q.query(
    `UPDATE stars_purchases SET state = $2, ended_at = CASE WHEN $2 = 'paid' THEN NULL ELSE now() END,
       telegram_payment_charge_id = coalesce(telegram_payment_charge_id, $3)
     WHERE id = $1`,
    [id, state, chargeId ?? null],
  );
}

// The reconcile pass (service.ts reconcile): payments the bot never reported, refunds interrupted.

/** When the oldest invoice still waiting for a payment was made, among those expired at most `marginMs` ago. */
export async function oldestPendingSince(q: Queryable, marginMs: number): Promise<Date | null> {
  const r = await q.query<{ at: Date | null }>(
    `SELECT min(created_at) AS at FROM stars_purchases
     WHERE state = 'pending' AND expires_at > now() - $1::int * interval '1 millisecond'`,
    [marginMs],
  );
  return r.rows[0].at;
}

/** The invoices among `payloads` still waiting for a payment. */
export async function pendingByPayloads(q: Queryable, payloads: string[]): Promise<PurchaseRow[]> {
  if (payloads.length === 0) return [];
  const r = await q.query<PurchaseRow>(
    `SELECT ${PURCHASE_COLUMNS} FROM stars_purchases WHERE payload = ANY($1::text[]) AND state = 'pending'`,
    [payloads],
  );
  return r.rows;
}

/** A refund's debit is written, Telegram not yet asked: the marker, with what the debit took. */
export async function markRefunding(
  q: Queryable,
  id: string,
  attempt: string,
  taken: { fromCredit: bigint; shortfall: bigint },
): Promise<void> {
  await q.query(
    `UPDATE stars_purchases SET state = 'refunded', ended_at = now(), refund_attempt = $2,
       refund_started_at = now(), refund_from_credit = $3::numeric, refund_shortfall = $4::numeric
     WHERE id = $1`,
    [id, attempt, taken.fromCredit.toString(), taken.shortfall.toString()],
  );
}

/** Telegram's answer to the refund is known (refunded, or the credit given back): the marker goes. */
export async function clearRefunding(q: Queryable, id: string): Promise<void> {
  await q.query(
    `UPDATE stars_purchases SET refund_attempt = NULL, refund_started_at = NULL, refund_from_credit = NULL,
       refund_shortfall = NULL WHERE id = $1`,
    [id],
  );
}

export interface RefundMarker {
  id: string;
  attempt: string;
  fromCredit: bigint;
  shortfall: bigint;
}

/** The refund marker of a purchase, the row locked (undefined: no refund in flight). */
export async function refundMarkerOf(q: Queryable, id: string): Promise<RefundMarker | undefined> {
  const r = await q.query<{ id: string; attempt: string; from_credit: string; shortfall: string }>(
    `SELECT id, refund_attempt AS attempt, refund_from_credit::text AS from_credit,
       refund_shortfall::text AS shortfall
     FROM stars_purchases WHERE id = $1 AND refund_started_at IS NOT NULL FOR UPDATE`,
    [id],
  );
  const m = r.rows[0];
  return (
    m && { id: m.id, attempt: m.attempt, fromCredit: BigInt(m.from_credit), shortfall: BigInt(m.shortfall) }
  );
}

/** Refunds marked more than `olderThanMs` ago and never finished (the proxy stopped in between), oldest first. */
export async function unfinishedRefunds(
  q: Queryable,
  olderThanMs: number,
  limit: number,
): Promise<PurchaseRow[]> {
  const r = await q.query<PurchaseRow>(
    `SELECT ${PURCHASE_COLUMNS} FROM stars_purchases
     WHERE refund_started_at < now() - $1::int * interval '1 millisecond'
     ORDER BY refund_started_at LIMIT $2`,
    [olderThanMs, limit],
  );
  return r.rows;
}

/** How long an invoice that passed pre-checkout counts toward the daily cap while its payment is awaited. */
export const CHECKOUT_RESERVES_MS = 15 * 60_000;

/**
 * Stars a user paid since the start of the day (UTC), refunded ones included (the cap bounds payments), and
 * those of invoices other than `except` that passed pre-checkout lately and whose payment is awaited.
 */
export async function starsPaidToday(q: Queryable, userId: string, except?: string): Promise<number> {
  const r = await q.query<{ n: number }>(
    `SELECT coalesce(sum(stars), 0)::int AS n FROM stars_purchases
     WHERE user_id = $1 AND (paid_at >= (date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
       OR (state = 'pending' AND id IS DISTINCT FROM $2::uuid
           AND checked_out_at > now() - $3::int * interval '1 millisecond'))`,
    [userId, except ?? null, CHECKOUT_RESERVES_MS],
  );
  return r.rows[0].n;
}

/**
 * Locks the user's row: a user's pre-checkouts (and invoice creations) take turns, so two at once can't both
 * count on the same room under the daily cap (or the open-invoice limit).
 */
export async function lockBuyer(q: Queryable, userId: string): Promise<void> {
  await q.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId]);
}

/** The invoice passed pre-checkout: it counts toward the cap while its payment is awaited. */
export async function markCheckedOut(q: Queryable, id: string): Promise<void> {
  await q.query('UPDATE stars_purchases SET checked_out_at = now() WHERE id = $1', [id]);
}

/** A user's purchases, newest first: paid ones and those waiting for a payment (expired invoices left out). */
export async function purchasesOf(q: Queryable, userId: string, limit = 100): Promise<PurchaseRow[]> {
  const r = await q.query<PurchaseRow>(
    `SELECT ${PURCHASE_COLUMNS} FROM stars_purchases
     WHERE user_id = $1 AND (state <> 'pending' OR expires_at > now())
     ORDER BY coalesce(paid_at, created_at) DESC, id DESC LIMIT $2`,
    [userId, limit],
  );
  return r.rows;
}

/** A user's paid purchases, newest first: how their Stars credit is allocated (service.ts spentOf). */
export async function paidPurchasesOf(q: Queryable, userId: string): Promise<PurchaseRow[]> {
  const r = await q.query<PurchaseRow>(
    `SELECT ${PURCHASE_COLUMNS} FROM stars_purchases WHERE user_id = $1 AND state = 'paid'
     ORDER BY paid_at DESC, id DESC`,
    [userId],
  );
  return r.rows;
}

/**
 * A user's Stars credit and what they owe for reversed charges, their account rows locked until the
 * transaction ends (a hold, a refund and a reversal take turns).
 */
export async function lockStarsBalances(
  q: Queryable,
  userId: string,
): Promise<{ credit: bigint; owed: bigint }> {
  const locked = await lockBalances(q, [starsAccount(userId), starsReceivableAccount(userId)]);
  // The receivable is an operator's asset: below zero by what is owed.
  return { credit: locked.get(starsAccount(userId))!, owed: -locked.get(starsReceivableAccount(userId))! };
}

/** Stars credit a user's unfinished jobs hold (given back to stars:<user> if they fail). */
export async function starsHeldByOpenJobs(q: Queryable, userId: string): Promise<bigint> {
  const r = await q.query<{ n: string }>(
    `SELECT coalesce(sum(hold_stars_nano), 0)::text AS n FROM jobs
     WHERE user_id = $1 AND state IN ('quoted', 'queued', 'running')`,
    [userId],
  );
  return BigInt(r.rows[0].n);
}

// Rig earnings held from Stars-paid jobs.

export async function insertEarningsHold(
  q: Queryable,
  h: {
    key: string;
    ownerId: string;
    rigId: string | null;
    jobId: string | null;
    amount: bigint;
    holdMs: number;
  },
): Promise<void> {
  await q.query(
    `INSERT INTO stars_earnings_holds (key, owner_id, rig_id, job_id, amount_nano, release_at)
     VALUES ($1, $2, $3, $4, $5::numeric, now() + $6::float8 * interval '1 millisecond')
     ON CONFLICT (key) DO NOTHING`,
    [h.key, h.ownerId, h.rigId, h.jobId, h.amount.toString(), h.holdMs],
  );
}

/** What is still held of a job's earnings (its settlement's hold), the row locked. */
export async function heldOfJob(q: Queryable, jobId: string): Promise<bigint> {
  const r = await q.query<{ amount: string }>(
    `SELECT amount_nano::text AS amount FROM stars_earnings_holds
     WHERE job_id = $1 AND released_at IS NULL FOR UPDATE`,
    [jobId],
  );
  return r.rows.reduce((s, x) => s + BigInt(x.amount), 0n);
}

/** Takes `amount` off what is held of a job's earnings (an audit refund took it back). */
export async function reduceHeldOfJob(q: Queryable, jobId: string, amount: bigint): Promise<void> {
  await q.query(
    `UPDATE stars_earnings_holds SET amount_nano = amount_nano - $2::numeric
     WHERE job_id = $1 AND released_at IS NULL`,
    [jobId, amount.toString()],
  );
}

/** Held earnings whose time has come, locked (another sweeper skips them). */
export async function dueEarningsHolds(
  q: Queryable,
  limit: number,
): Promise<Array<{ key: string; owner_id: string; amount: string; payer_id: string | null }>> {
  // payer_id: who paid the job whose earnings these are (null for an auditor's pay).
  const r = await q.query<{ key: string; owner_id: string; amount: string; payer_id: string | null }>(
    `SELECT h.key, h.owner_id, h.amount_nano::text AS amount, j.user_id AS payer_id
     FROM stars_earnings_holds h LEFT JOIN jobs j ON j.id = h.job_id
     WHERE h.released_at IS NULL AND h.release_at <= now() ORDER BY h.release_at LIMIT $1
     FOR UPDATE OF h SKIP LOCKED`,
    [limit],
  );
  return r.rows;
}

export async function markReleased(q: Queryable, key: string): Promise<void> {
  await q.query('UPDATE stars_earnings_holds SET released_at = now() WHERE key = $1', [key]);
}

/** SQL for a rig (aliased `r`): its earnings from Stars-paid jobs still held. */
export const HELD_STARS_SQL = `(SELECT coalesce(sum(h.amount_nano), 0) FROM stars_earnings_holds h
  WHERE h.rig_id = r.id AND h.released_at IS NULL)`;
/** SQL for a rig (aliased `r`): when the next held part is released (null: nothing held). */
export const STARS_RELEASE_AT_SQL = `(SELECT min(h.release_at) FROM stars_earnings_holds h
  WHERE h.rig_id = r.id AND h.released_at IS NULL AND h.amount_nano > 0)`;
