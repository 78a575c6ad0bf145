// The queue's SQL on the `jobs` table (repository.ts holds the rest, and its rules hold here: no business
// rules, the caller picks the transaction). A waiting job is a row in state 'queued': the queue is database
// state, so it survives a restart and is shared by every proxy on one PostgreSQL.
import type { Queryable } from '../db';

/** Advisory lock namespace of a rig's slots (pg_advisory_xact_lock's first key). */
const RIG_SLOTS_LOCK = 7_231_001;
/** ... of one user's and one model's queue bounds. */
const QUEUE_BOUND_LOCK = 7_231_002;

/**
 * Serialises claims on these rigs until the transaction ends, so two proxies (or two transactions of one)
 * can't both fill a rig's last free slot. Taken in one order (sorted ids) by every claimer: no deadlock.
 */
export async function lockRigSlots(q: Queryable, rigIds: string[]): Promise<void> {
  if (rigIds.length === 0) return;
  // One statement; the sorted subquery fixes the order the locks are taken in.
  await q.query(
    `SELECT count(pg_advisory_xact_lock($1, hashtext(id)))
     FROM (SELECT DISTINCT id FROM unnest($2::text[]) AS id ORDER BY id) sorted`,
    [RIG_SLOTS_LOCK, rigIds],
  );
}

/** Serialises the queue bound checks of one user, then one model (always in that order). */
export async function lockQueueBounds(q: Queryable, userId: string, model: string): Promise<void> {
  await q.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [QUEUE_BOUND_LOCK, `user:${userId}`]);
  await q.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [QUEUE_BOUND_LOCK, `model:${model}`]);
}

/**
 * A submitted job takes its place in line and its wait allowance (each wait ends at now + maxWaitMs), with
 * how much of its hold came from trial and Stars credit and whether it is paid from an on-chain account.
 */
export async function markSubmitted(
  q: Queryable,
  jobId: string,
  s: { maxWaitMs: number; holdTrialNano: bigint; holdStarsNano: bigint; paysOnchain: boolean },
): Promise<void> {
  await q.query(
    `UPDATE jobs SET submitted_at = now(), queued_at = now(), max_wait_ms = $2::int,
       wait_deadline = now() + $2::int * interval '1 millisecond', hold_trial_nano = $3::numeric,
       pays_onchain = $4, hold_stars_nano = $5::numeric WHERE id = $1`,
    [jobId, s.maxWaitMs, s.holdTrialNano, s.paysOnchain, s.holdStarsNano],
  );
}

/** A job no candidate can take now waits in line, with its envelope (stored here on a submit). */
export async function waitInLine(
  q: Queryable,
  jobId: string,
  stored: [string, number, string] | [null, null, null],
): Promise<void> {
  await q.query(
    `UPDATE jobs SET state = 'queued', envelope = coalesce($2::jsonb, envelope),
       envelope_bytes = coalesce($3::int, envelope_bytes), idempotency_key = coalesce($4, idempotency_key)
     WHERE id = $1`,
    [jobId, ...stored],
  );
}

/**
 * Whether a rig could take a job later: not paused or revoked, and seen within `seenWithinMs` (connected,
 * or reconnecting). A job waits for such a rig; with none among its candidates it fails.
 */
export async function rigIsLive(q: Queryable, rigId: string, seenWithinMs: number): Promise<boolean> {
  const r = await q.query(
    `SELECT 1 FROM rigs WHERE id = $1 AND NOT paused AND revoked_at IS NULL
       AND last_seen_at > now() - $2 * interval '1 millisecond'`,
    [rigId, seenWithinMs],
  );
  return r.rows.length > 0;
}

/**
 * How many jobs wait for a rig: the user's, the user's for this model, and the model's (a job `exceptId`
 * left out).
 */
export async function queueCounts(
  q: Queryable,
  userId: string,
  model: string,
  exceptId: string,
): Promise<{ user: number; userModel: number; model: number }> {
  const r = await q.query<{ user_n: number; user_model_n: number; model_n: number }>(
    `SELECT count(*) FILTER (WHERE user_id = $1)::int AS user_n,
       count(*) FILTER (WHERE user_id = $1 AND model = $2)::int AS user_model_n,
       count(*) FILTER (WHERE model = $2)::int AS model_n
     FROM jobs WHERE state = 'queued' AND id <> $3 AND (user_id = $1 OR model = $2)`,
    [userId, model, exceptId],
  );
  const row = r.rows[0];
  return { user: row?.user_n ?? 0, userModel: row?.user_model_n ?? 0, model: row?.model_n ?? 0 };
}

/**
 * The waiting jobs with their turn in line: a job's turn is its rank among its user's jobs waiting for the
 * same model (1: the user's oldest). The line is in turns, then first come first served: every user's first
 * waiting job goes before anyone's second, so accounts holding many jobs each (a Sybil's, whose holds the
 * trial credit pays and gets back) put an honest job behind at most one job per account.
 */
const WAITING_IN_TURN = `(SELECT *, coalesce(submitted_at, created_at) AS since,
    row_number() OVER (PARTITION BY user_id, model ORDER BY coalesce(submitted_at, created_at), id) AS turn
  FROM jobs WHERE state = 'queued')`;

/** Whether any job waits in line at all (the common case, none, costs one index probe). */
export async function anyWaiting(q: Queryable): Promise<boolean> {
  const r = await q.query("SELECT 1 FROM jobs WHERE state = 'queued' LIMIT 1");
  return r.rows.length > 0;
}

/**
 * SQL: whether candidate `c` (an element of jsonb_array_elements(job.candidates) WITH ORDINALITY AS c(v, n))
 * may run waiting job `job` (a table alias): from its current attempt on, not audit-only, addressed by its
 * envelope. The one definition of "this job may run on that rig" for the line (here) and for a new job
 * leaving a free rig to the jobs already waiting for it (repository.ts claimForRig): a job sealed to fewer
 * rigs than its candidates, or one a rig already tried, must not hold that rig back from anyone.
 */
export function mayRunOn(job: string): string {
  return `c.n > ${job}.attempt AND NOT coalesce((c.v->>'auditOnly')::boolean, false)
      AND ${job}.envelope->'recipients' @> jsonb_build_array(jsonb_build_object('rigId', c.v->>'rigId'))`;
}

/**
 * A waiting job's candidates that may run it (mayRunOn) and are live (rigIsLive). `free` adds: connected,
 * with a free slot by the proxy's own count of the rig's running jobs (never the rig's word).
 */
function candidateRigs(free: boolean): string {
  return `SELECT 1 FROM jsonb_array_elements(j.candidates) WITH ORDINALITY AS c(v, n)
      JOIN rigs r ON r.id = (c.v->>'rigId')::uuid
    WHERE ${mayRunOn('j')}
      AND NOT r.paused AND r.revoked_at IS NULL AND r.last_seen_at > now() - $1 * interval '1 millisecond'
      ${free ? `AND r.connected_to IS NOT NULL AND (SELECT count(*) FROM jobs x WHERE x.rig_id = r.id AND x.state = 'running') < r.slots` : ''}`;
}

/** The first waiting job in line (WAITING_IN_TURN; but `tried`) that a free slot of one of its candidates could take now. */
export async function waitingWithFreeRig(
  q: Queryable,
  seenWithinMs: number,
  tried: string[],
): Promise<string[]> {
  const r = await q.query<{ id: string }>(
    `SELECT j.id FROM ${WAITING_IN_TURN} j WHERE j.envelope IS NOT NULL AND NOT (j.id = ANY($2::uuid[]))
       AND EXISTS (${candidateRigs(true)})
     ORDER BY j.turn, j.since, j.id LIMIT 1`,
    [seenWithinMs, tried],
  );
  return r.rows.map((row) => row.id);
}

/** Waiting jobs none of whose candidates is live any more: no rig will ever take them. */
export async function waitingForNoRig(q: Queryable, seenWithinMs: number): Promise<string[]> {
  const r = await q.query<{ id: string }>(
    `SELECT j.id FROM jobs j WHERE j.state = 'queued' AND NOT EXISTS (${candidateRigs(false)}) LIMIT 500`,
    [seenWithinMs],
  );
  return r.rows.map((row) => row.id);
}

export interface QueuePlace {
  id: string;
  model: string;
  position: number;
  waitDeadline: Date | null;
}

/** Every waiting job's place in its model's line (1: next), `jobId`'s alone when given. */
export async function queuePlaces(q: Queryable, jobId?: string): Promise<QueuePlace[]> {
  const r = await q.query<{ id: string; model: string; position: string; wait_deadline: Date | null }>(
    `SELECT * FROM (
       SELECT id, model, wait_deadline, row_number() OVER (PARTITION BY model ORDER BY turn, since, id) AS position
       FROM ${WAITING_IN_TURN} t
       WHERE $1::uuid IS NULL OR model = (SELECT model FROM jobs WHERE id = $1::uuid)) w
     WHERE $1::uuid IS NULL OR id = $1::uuid LIMIT 10000`,
    [jobId ?? null],
  );
  return r.rows.map((row) => ({
    id: row.id,
    model: row.model,
    position: Number(row.position),
    waitDeadline: row.wait_deadline ? new Date(row.wait_deadline) : null,
  }));
}

/**
 * Waiting jobs past their wait deadline (or, from before the queue had one, waiting longer than
 * `timeoutMs` since they were put in line). Running jobs are bounded by their progress deadlines instead.
 */
export async function waitedTooLong(
  q: Queryable,
  timeoutMs: number,
): Promise<Array<{ id: string; max_wait_ms: number | null }>> {
  const r = await q.query<{ id: string; max_wait_ms: number | null }>(
    `SELECT id, max_wait_ms FROM jobs WHERE state = 'queued' AND (wait_deadline < now()
       OR (wait_deadline IS NULL AND coalesce(queued_at, created_at) < now() - $1 * interval '1 millisecond'))
     LIMIT 500`,
    [timeoutMs],
  );
  return r.rows;
}
