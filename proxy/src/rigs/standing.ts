// A rig's standing in the market: failures in a row cool a rig down (it gets no quotes for a while), and a
// settled job clears the count, unless its own owner paid for it (jobs/repository.ts markDoneAndCountForRig):
// self-dealing counts for nothing, so a rig can't stay out of cool-down, or end its probation, on its owner's
// own free jobs. One module per rig's standing, that reputation and audits extend.
//
// Every way a rig can lose a job counts: it said fail, it disconnected, its lease lapsed (a stall), it
// streamed past the job's budget, or its receipt was invalid; so does an audit it never answered
// (audits/service.ts sweep). After RIG_COOLDOWN_AFTER_FAILURES of those in a row the rig is out of quotes
// for RIG_COOLDOWN_MS, and its count starts again.
//
// Except a refusal the client may have caused: "your input is invalid" (a body sealed with more maxTokens than
// quoted, a longer prompt, another kind) or "could not open the envelope" (a garbage key). Any user can make
// every honest rig refuse such a job, so counting it at once would let a user cool down any rig, the
// operator's anchor included, for free. It is remembered on the job (deferRigFailure) and counts only when
// the job is then done on another rig, which proves the input was fine (recordDeferredFailures); a job that
// fails everywhere cools nobody down for it. The operator's rigs still audit while cooling down: a cool-down
// takes them off the jobs, never out of the anchor draw or the auditor choice (market/candidates.ts).
import type { Queryable } from '../db';

export interface StandingLimits {
  RIG_COOLDOWN_AFTER_FAILURES: number;
  RIG_COOLDOWN_MS: number;
}

/** A rig lost a job it was running. Call inside the transaction that moves the job on. */
export async function recordRigFailure(q: Queryable, rigId: string, limits: StandingLimits): Promise<void> {
  await q.query(
    `UPDATE rigs SET jobs_failed = jobs_failed + 1,
       consecutive_failures = CASE WHEN consecutive_failures + 1 >= $2 THEN 0 ELSE consecutive_failures + 1 END,
       cooldown_until = CASE WHEN consecutive_failures + 1 >= $2 THEN now() + $3 * interval '1 millisecond'
                        ELSE cooldown_until END
     WHERE id = $1`,
    [rigId, limits.RIG_COOLDOWN_AFTER_FAILURES, limits.RIG_COOLDOWN_MS],
  );
}

/** The rig's failure says the client may have caused it: bad input, or an envelope it could not open. */
export function clientMayHaveCaused(reason: string, retryable: boolean): boolean {
  return !retryable || /could not open the envelope/.test(reason);
}

/** A refusal the client may have caused: kept on the job, counted only if another rig then does the job. */
export async function deferRigFailure(q: Queryable, jobId: string, rigId: string): Promise<void> {
  await q.query(
    'UPDATE jobs SET input_refusals = array_append(input_refusals, $2::uuid) WHERE id = $1 AND NOT $2::uuid = ANY(input_refusals)',
    [jobId, rigId],
  );
}

/** The job is done: every rig that refused it as bad input, or couldn't open it, failed it after all. */
export async function recordDeferredFailures(
  q: Queryable,
  jobId: string,
  limits: StandingLimits,
): Promise<void> {
  // Not when the rig that did it is its payer's own: a user "doing" its own bad-input jobs on its own rig
  // would otherwise cool down the honest rigs tried before it (self-dealing counts for nothing).
  const r = await q.query<{ rig_id: string }>(
    `SELECT unnest(j.input_refusals)::text AS rig_id FROM jobs j JOIN rigs d ON d.id = j.rig_id
     WHERE j.id = $1 AND d.owner_id <> j.user_id`,
    [jobId],
  );
  for (const { rig_id } of r.rows) await recordRigFailure(q, rig_id, limits);
}

/** The SQL condition a rig (aliased `r`) must meet to be quoted: not cooling down, not quarantined by an audit. */
export const IN_GOOD_STANDING =
  '((r.cooldown_until IS NULL OR r.cooldown_until <= now()) AND r.quarantined_at IS NULL)';

/** The owner of each of the rigs. */
export async function ownersOf(q: Queryable, rigIds: readonly string[]): Promise<Map<string, string>> {
  const r = await q.query<{ id: string; owner_id: string }>(
    'SELECT id, owner_id FROM rigs WHERE id = ANY($1::uuid[])',
    [rigIds],
  );
  return new Map(r.rows.map((row) => [row.id, row.owner_id]));
}
