// The SQL of a rig's standing (standing.ts says the rules): its failure count and cool-down on `rigs`, the
// refusals deferred on `jobs`, and the condition a rig in good standing meets, for other repositories' queries.
import type { Queryable } from '../db';

/** Counts one failure; the `afterFailures`-th in a row cools the rig down for `cooldownMs` and restarts the count. */
export async function countRigFailure(
  q: Queryable,
  rigId: string,
  afterFailures: number,
  cooldownMs: number,
): Promise<void> {
  await q.query(
    `UPDATE rigs SET jobs_failed = jobs_failed + 1,
       consecutive_failures = CASE WHEN consecutive_failures + 1 >= $2 THEN 0 ELSE consecutive_failures + 1 END,
       cooldown_until = CASE WHEN consecutive_failures + 1 >= $2 THEN now() + $3 * interval '1 millisecond'
                        ELSE cooldown_until END
     WHERE id = $1`,
    [rigId, afterFailures, cooldownMs],
  );
}

/** Remembers on the job that the rig refused it (once per rig). */
export async function addInputRefusal(q: Queryable, jobId: string, rigId: string): Promise<void> {
  await q.query(
    'UPDATE jobs SET input_refusals = array_append(input_refusals, $2::uuid) WHERE id = $1 AND NOT $2::uuid = ANY(input_refusals)',
    [jobId, rigId],
  );
}

/** The rigs that refused the job, unless the rig that did it is its payer's own. */
export async function refusersToCount(q: Queryable, jobId: string): Promise<string[]> {
  const r = await q.query<{ rig_id: string }>(
    `SELECT unnest(j.input_refusals)::text AS rig_id FROM jobs j JOIN rigs d ON d.id = j.rig_id
     WHERE j.id = $1 AND d.owner_id <> j.user_id`,
    [jobId],
  );
  return r.rows.map((row) => row.rig_id);
}

/** The SQL condition a rig (aliased `r`) must meet to be quoted: not cooling down, not quarantined by an audit. */
export function inGoodStandingSql(): string {
  return '((r.cooldown_until IS NULL OR r.cooldown_until <= now()) AND r.quarantined_at IS NULL)';
}

/** The owner of each of the rigs. */
export async function ownersOf(q: Queryable, rigIds: readonly string[]): Promise<Map<string, string>> {
  const r = await q.query<{ id: string; owner_id: string }>(
    'SELECT id, owner_id FROM rigs WHERE id = ANY($1::uuid[])',
    [rigIds],
  );
  return new Map(r.rows.map((row) => [row.id, row.owner_id]));
}
