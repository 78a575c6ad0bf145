// The SQL on the `jobs` table, in one place. Every function takes a Queryable: the caller decides whether it
// runs alone or inside a transaction (and which row locks that transaction holds). No business rules here:
// the states a statement moves between are the callers' (see the diagram in service.ts).
import type { SealedBox } from '@cocoon/shared';
import type { Queryable } from '../db';
import { JOB_COLUMNS, type JobCandidate, type JobRow } from './job-row';
import type { Lapse } from './progress';
import { mayRunOn } from './queue-repository';

export type JobViewRow = JobRow & { rig_name: string | null };

/** A job row as it is now, unlocked. */
export async function jobById(q: Queryable, jobId: string): Promise<JobRow | undefined> {
  const r = await q.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs j WHERE j.id = $1`, [jobId]);
  return r.rows[0];
}

/** Locks a job row. With `skipLocked`, a row another proxy is working on reads as absent (it's theirs). */
export async function lockJob(q: Queryable, jobId: string, skipLocked = false): Promise<JobRow | undefined> {
  const r = await q.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM jobs j WHERE j.id = $1 FOR UPDATE${skipLocked ? ' SKIP LOCKED' : ''}`,
    [jobId],
  );
  return r.rows[0];
}

/** Locks a quote being submitted, and says whether the user's idempotency key is taken by another job. */
export async function lockForSubmit(
  q: Queryable,
  jobId: string,
  userId: string,
  idempotencyKey: string,
): Promise<(JobRow & { key_taken: boolean }) | undefined> {
  const r = await q.query<JobRow & { key_taken: boolean }>(
    `SELECT ${JOB_COLUMNS}, EXISTS (SELECT 1 FROM jobs k WHERE k.user_id = $2 AND k.idempotency_key = $3
       AND k.id <> j.id) AS key_taken
     FROM jobs j WHERE j.id = $1 FOR UPDATE OF j`,
    [jobId, userId, idempotencyKey],
  );
  return r.rows[0];
}

/** Locks a job being settled, with its rig's owner and receipt-signing key. */
export async function lockForSettlement(
  q: Queryable,
  jobId: string,
): Promise<(JobRow & { owner_id: string; ed25519_public_key: string | null }) | undefined> {
  const r = await q.query<JobRow & { owner_id: string; ed25519_public_key: string | null }>(
    `SELECT ${JOB_COLUMNS}, r.owner_id, r.ed25519_public_key FROM jobs j JOIN rigs r ON r.id = j.rig_id
     WHERE j.id = $1 FOR UPDATE OF j`,
    [jobId],
  );
  return r.rows[0];
}

export async function jobIdByIdempotencyKey(
  q: Queryable,
  userId: string,
  key: string,
): Promise<string | undefined> {
  const r = await q.query<{ id: string }>('SELECT id FROM jobs WHERE user_id = $1 AND idempotency_key = $2', [
    userId,
    key,
  ]);
  return r.rows[0]?.id;
}

/** A user's job with its rig's name; undefined for another user's job. */
export async function viewRow(q: Queryable, userId: string, jobId: string): Promise<JobViewRow | undefined> {
  const r = await q.query<JobViewRow>(
    `SELECT ${JOB_COLUMNS}, r.name AS rig_name FROM jobs j LEFT JOIN rigs r ON r.id = j.rig_id
     WHERE j.id = $1 AND j.user_id = $2`,
    [jobId, userId],
  );
  return r.rows[0];
}

/** A user's submitted jobs, newest first. */
export async function listRows(q: Queryable, userId: string, limit: number): Promise<JobViewRow[]> {
  const r = await q.query<JobViewRow>(
    `SELECT ${JOB_COLUMNS}, r.name AS rig_name FROM jobs j LEFT JOIN rigs r ON r.id = j.rig_id
     WHERE j.user_id = $1 AND j.state <> 'quoted' ORDER BY j.created_at DESC LIMIT $2`,
    [userId, limit],
  );
  return r.rows;
}

export async function insertQuote(
  q: Queryable,
  quote: {
    id: string;
    userId: string;
    apiKeyId: string | null;
    model: string;
    kind: JobRow['kind'];
    inputTokens: number;
    maxTokens: number;
    holdNano: bigint;
    feeBps: number;
    candidates: JobCandidate[];
    expiresAt: Date;
    holdTrialNano: bigint;
  },
): Promise<void> {
  await q.query(
    `INSERT INTO jobs (id, user_id, api_key_id, model, kind, state, input_tokens, max_tokens, hold_nano, fee_bps,
     candidates, expires_at, hold_trial_nano)
     VALUES ($1, $2, $3, $4, $5, 'quoted', $6, $7, $8::numeric, $9, $10, $11, $12::numeric)`,
    [
      quote.id,
      quote.userId,
      quote.apiKeyId,
      quote.model,
      quote.kind,
      quote.inputTokens,
      quote.maxTokens,
      quote.holdNano,
      quote.feeBps,
      JSON.stringify(quote.candidates),
      quote.expiresAt,
      quote.holdTrialNano.toString(),
    ],
  );
}

/** What a submission stores with the job: [envelope JSON, its size in bytes, idempotency key], or nulls. */
export type StoredSubmission = [string, number, string] | [null, null, null];

/**
 * Claims a job for one candidate rig: sets it running on that rig with a lease, only if the rig is usable,
 * recently seen, reachable (its socket is here: `socketHere`, or another process holds it and
 * `clusterEnabled`) and has a free slot by the proxy's own count of its running jobs (the caller holds the
 * rig's slot lock: queue-repository.ts lockRigSlots). One statement checks and claims; undefined when the
 * rig doesn't qualify.
 */
export async function claimForRig(
  q: Queryable,
  c: {
    jobId: string;
    attempt: number;
    rigId: string;
    leaseMs: number;
    /** The run time cap: the lease can't be renewed past this many milliseconds from the claim. */
    runMs: number;
    /** The first progress is due this many milliseconds from the claim (jobs/progress.ts). */
    firstTokenMs: number;
    /** The candidates in a new order (the claimed rig moved to `attempt`), or null to keep them. */
    candidates: JobCandidate[] | null;
    /**
     * A job being submitted: it leaves the rig to jobs already waiting that may run there (first come,
     * first served: jobs/queue.ts moves them first).
     */
    behindWaiting: boolean;
    seenWithinMs: number;
    instanceId: string;
    socketHere: boolean;
    clusterEnabled: boolean;
    stored: StoredSubmission;
  },
): Promise<(JobRow & { holder: string; rig_name: string }) | undefined> {
  const r = await q.query<JobRow & { holder: string; rig_name: string }>(
    `UPDATE jobs j SET state = 'running', attempt = $2, rig_id = $3, started_at = now(),
       lease_until = now() + least($4::float8, $12::float8) * interval '1 millisecond',
       run_deadline = now() + $12::float8 * interval '1 millisecond', tokens_done = 0, first_token_at = NULL,
       progress_deadline = now() + least($13::float8, $12::float8) * interval '1 millisecond', envelope = coalesce($9::jsonb, j.envelope),
       candidates = coalesce($14::jsonb, j.candidates),
       envelope_bytes = coalesce($10::int, j.envelope_bytes), idempotency_key = coalesce($11, j.idempotency_key)
     FROM rigs r
     WHERE j.id = $1 AND r.id = $3 AND NOT r.paused AND r.revoked_at IS NULL
       AND r.last_seen_at > now() - $5 * interval '1 millisecond'
       AND CASE WHEN r.connected_to = $6 THEN $7::boolean ELSE r.connected_to IS NOT NULL AND $8::boolean END
       AND (SELECT count(*) FROM jobs x WHERE x.rig_id = r.id AND x.state = 'running' AND x.id <> j.id) < r.slots
       AND NOT ($15::boolean AND EXISTS (SELECT 1 FROM jobs w
         CROSS JOIN LATERAL jsonb_array_elements(w.candidates) WITH ORDINALITY AS c(v, n)
         WHERE w.state = 'queued' AND w.id <> j.id AND w.envelope IS NOT NULL
           AND c.v->>'rigId' = r.id::text AND ${mayRunOn('w')}))
     RETURNING ${JOB_COLUMNS}, r.connected_to AS holder, r.name AS rig_name`,
    [
      c.jobId,
      c.attempt,
      c.rigId,
      c.leaseMs,
      c.seenWithinMs,
      c.instanceId,
      c.socketHere,
      c.clusterEnabled,
      ...c.stored,
      c.runMs,
      c.firstTokenMs,
      c.candidates ? JSON.stringify(c.candidates) : null,
      c.behindWaiting,
    ],
  );
  return r.rows[0];
}

/**
 * Deletes quotes that expired unsubmitted and took no hold (every quote since holds moved to submit), and
 * counts them: an unsubmitted quote leaves nothing behind but that counter.
 */
export async function deleteExpiredQuotes(q: Queryable): Promise<number> {
  const r = await q.query<{ n: number }>(
    `WITH gone AS (
       DELETE FROM jobs j WHERE j.id IN (
         SELECT id FROM jobs WHERE state = 'quoted' AND expires_at < now() LIMIT 500)
       AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = 'hold:' || j.id::text)
       RETURNING 1
     ), counted AS (
       INSERT INTO counters (name, value) SELECT 'quotes_expired', count(*) FROM gone HAVING count(*) > 0
       ON CONFLICT (name) DO UPDATE SET value = counters.value + EXCLUDED.value
     )
     SELECT count(*)::int AS n FROM gone`,
  );
  return r.rows[0]?.n ?? 0;
}

/**
 * Drops the sealed envelope and result of jobs finished more than `retentionMs` ago (500 a pass): the proxy
 * can't read them, but it has no reason to keep them either. The job's row, prices and tokens stay.
 */
export async function dropSealedPayloads(q: Queryable, retentionMs: number): Promise<void> {
  await q.query(
    `UPDATE jobs SET envelope = NULL, result = NULL WHERE id IN (
       SELECT id FROM jobs WHERE (envelope IS NOT NULL OR result IS NOT NULL)
         AND finished_at < now() - $1 * interval '1 millisecond' LIMIT 500)`,
    [retentionMs],
  );
}

/** Stores a submission's envelope and idempotency key on a job no rig could take. */
export async function storeSubmission(q: Queryable, jobId: string, stored: StoredSubmission): Promise<void> {
  await q.query('UPDATE jobs SET envelope = $2, envelope_bytes = $3, idempotency_key = $4 WHERE id = $1', [
    jobId,
    ...stored,
  ]);
}

export async function markFailed(q: Queryable, jobId: string, reason: string): Promise<void> {
  await q.query(
    `UPDATE jobs SET state = 'failed', fail_reason = $2, finished_at = now(), lease_until = NULL WHERE id = $1`,
    [jobId, reason],
  );
}

/** What the job's payer owes in an on-chain voucher (jobs paid from an on-chain account). */
export async function setVoucherDue(q: Queryable, jobId: string, due: bigint): Promise<void> {
  await q.query('UPDATE jobs SET voucher_due = $2::numeric WHERE id = $1', [jobId, due]);
}

export async function markExpired(q: Queryable, jobId: string): Promise<void> {
  await q.query("UPDATE jobs SET state = 'expired', finished_at = now() WHERE id = $1", [jobId]);
}

/** The job's candidates in a new order (only the ones after its current attempt may move). */
export async function setCandidates(q: Queryable, jobId: string, candidates: JobCandidate[]): Promise<void> {
  await q.query('UPDATE jobs SET candidates = $2 WHERE id = $1', [jobId, JSON.stringify(candidates)]);
}

/**
 * Takes a running job off its rig and queues it for the next candidate. `refusedBy`: the rig said the input
 * is invalid (remembered, so a second rig agreeing can fail the job).
 */
export async function requeue(
  q: Queryable,
  jobId: string,
  reason: string,
  refusedBy?: string,
): Promise<void> {
  await q.query(
    `UPDATE jobs SET state = 'queued', rig_id = NULL, lease_until = NULL, run_deadline = NULL,
       progress_deadline = NULL, tokens_done = 0, queued_at = now(),
       wait_deadline = now() + max_wait_ms * interval '1 millisecond', attempt = attempt + 1, fail_reason = $2, input_refused_by = coalesce(input_refused_by, $3::uuid)
     WHERE id = $1`,
    [jobId, reason, refusedBy ?? null],
  );
}

/**
 * Marks a job done with its result and charge. The same statement also updates the rig's counters
 * (rigs.jobs_done, rigs.total_job_ms, and its standing: consecutive_failures back to 0): one round trip per
 * settled job, a tuned hot path. A job the rig's own owner paid for counts for none of them (self-dealing
 * neither resets a cool-down nor ends a probation: rigs/standing.ts). With rigs/standing.ts, the only writes to `rigs` outside rigs/repository.ts.
 */
export async function markDoneAndCountForRig(
  q: Queryable,
  d: {
    jobId: string;
    result: SealedBox;
    auditCopy: SealedBox | null;
    commitment: string;
    promptTokens: number;
    completionTokens: number;
    priceNanoPer1k: bigint;
    costNano: bigint;
    rigNano: bigint;
    feeNano: bigint;
  },
): Promise<void> {
  await q.query(
    `WITH done AS (
       UPDATE jobs SET state = 'done', result = $2, prompt_tokens = $3, completion_tokens = $4,
         price_nano_per_1k = $5::numeric, cost_nano = $6::numeric, rig_nano = $7::numeric, fee_nano = $8::numeric,
         finished_at = now(), lease_until = NULL, result_commitment = $9, audit_copy = $10,
         first_token_at = coalesce(first_token_at, now()) WHERE id = $1
       RETURNING rig_id, user_id, greatest(0, (extract(epoch FROM now() - started_at) * 1000)::bigint) AS ms
     )
     UPDATE rigs SET jobs_done = jobs_done + 1, total_job_ms = total_job_ms + done.ms, consecutive_failures = 0
     FROM done
     WHERE rigs.id = done.rig_id AND rigs.owner_id <> done.user_id`,
    [
      d.jobId,
      JSON.stringify(d.result),
      d.promptTokens,
      d.completionTokens,
      d.priceNanoPer1k,
      d.costNano,
      d.rigNano,
      d.feeNano,
      d.commitment,
      d.auditCopy ? JSON.stringify(d.auditCopy) : null,
    ],
  );
}

/**
 * Renews the leases of the running jobs of `rigId` among `jobIds`, never past a job's run time cap. A lease
 * says the rig still holds the job; only progress moves its progress deadline (recordProgress).
 */
export async function renewLeases(
  q: Queryable,
  rigId: string,
  jobIds: string[],
  leaseMs: number,
): Promise<void> {
  await q.query(
    `UPDATE jobs SET lease_until = least(now() + $3 * interval '1 millisecond', coalesce(run_deadline, 'infinity'))
     WHERE rig_id = $1 AND state = 'running' AND id = ANY($2::uuid[])`,
    [rigId, jobIds, leaseMs],
  );
}

/**
 * Progress a rig reported for its running jobs (tokens done per job): a count that grew, within the job's
 * max tokens, moves the job's progress deadline to `gapMs` from now, never past its run time cap. Any other
 * count (the same, lower, past max tokens, another rig's job) changes nothing.
 */
export async function recordProgress(
  q: Queryable,
  rigId: string,
  progress: Array<{ jobId: string; tokens: number }>,
  gapMs: number,
): Promise<void> {
  await q.query(
    `UPDATE jobs j SET tokens_done = p.tokens, first_token_at = coalesce(j.first_token_at, now()),
       progress_deadline = least(now() + $4 * interval '1 millisecond', coalesce(j.run_deadline, 'infinity'))
     FROM unnest($2::uuid[], $3::int[]) AS p(id, tokens)
     WHERE j.id = p.id AND j.rig_id = $1 AND j.state = 'running' AND p.tokens > j.tokens_done
       AND p.tokens <= j.max_tokens`,
    [rigId, progress.map((p) => p.jobId), progress.map((p) => p.tokens), gapMs],
  );
}

/**
 * The rig running a job streamed its first chunk: its first output, unless a heartbeat reported tokens done
 * before (market/speed.ts measures time to first token from it).
 */
export async function recordFirstOutput(q: Queryable, jobId: string, rigId: string): Promise<void> {
  await q.query(
    `UPDATE jobs SET first_token_at = now()
     WHERE id = $1 AND rig_id = $2 AND state = 'running' AND first_token_at IS NULL`,
    [jobId, rigId],
  );
}

export async function runningOnRig(q: Queryable, rigId: string): Promise<string[]> {
  const r = await q.query<{ id: string }>("SELECT id FROM jobs WHERE rig_id = $1 AND state = 'running'", [
    rigId,
  ]);
  return r.rows.map((row) => row.id);
}

/** The rig each of `jobIds` is running on now (jobs not running are left out). */
export async function runningRigs(q: Queryable, jobIds: string[]): Promise<Map<string, string>> {
  const r = await q.query<{ id: string; rig_id: string }>(
    "SELECT id, rig_id FROM jobs WHERE id = ANY($1::uuid[]) AND state = 'running'",
    [jobIds],
  );
  return new Map(r.rows.map((row) => [row.id, row.rig_id]));
}

// Sweep selections: at most 500 a pass each.

export async function expiredQuotes(q: Queryable): Promise<string[]> {
  const r = await q.query<{ id: string }>(
    "SELECT id FROM jobs WHERE state = 'quoted' AND expires_at < now() LIMIT 500",
  );
  return r.rows.map((row) => row.id);
}

/** Running jobs past a deadline: the run time cap, their progress deadline, or their lease (and which). */
export async function lapsedJobs(q: Queryable): Promise<Array<{ id: string; rig_id: string; lapse: Lapse }>> {
  const r = await q.query<{ id: string; rig_id: string; lapse: Lapse }>(
    `SELECT id, rig_id, CASE
         WHEN run_deadline < now() THEN 'cap'
         WHEN progress_deadline < now() THEN CASE WHEN tokens_done = 0 THEN 'first-token' ELSE 'between-tokens' END
         ELSE 'lease' END AS lapse
     FROM jobs WHERE state = 'running' AND (lease_until < now() OR progress_deadline < now()) LIMIT 500`,
  );
  return r.rows;
}

/** Records a client's report about a job (at most once per job, user and reason). */
export async function insertReport(
  q: Queryable,
  jobId: string,
  userId: string,
  reason: string,
): Promise<void> {
  await q.query(
    'INSERT INTO job_reports (job_id, user_id, reason) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [jobId, userId, reason],
  );
}
