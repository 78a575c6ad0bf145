// The SQL of audits: who may audit a job, the audit rows, and the rigs' audit records.
import type { SealedBox, SealedEnvelope } from '@cocoon/shared';
import { bondSql, exposureSql, operatorsSql, unvouchedSql } from '../bonds/repository';
import type { Queryable } from '../db';
import type { JobCandidate } from '../jobs/job-row';
import { inGoodStandingSql } from '../rigs/standing-repository';
import type { AuditorStanding, TrustRules } from './trust';
import { trustedAuditorSql } from './trust-repository';

/** A finished job as an audit needs it. */
export interface AuditedJob {
  id: string;
  user_id: string;
  model: string;
  kind: 'summarize' | 'generate' | 'chat';
  rig_id: string;
  owner_id: string;
  envelope: SealedEnvelope;
  audit_copy: SealedBox | null;
  result_commitment: string;
  prompt_tokens: number;
  completion_tokens: number;
  input_tokens: number;
  max_tokens: number;
  price_nano_per_1k: string;
  /** What the job cost, the rig's share of it (the rest is its fee), and the trial credit its hold took. */
  cost_nano: string;
  rig_nano: string;
  hold_trial_nano: string;
  /** The Stars credit its hold took (after the trial credit). */
  hold_stars_nano: string;
  audit_state: string | null;
  /** The quote's candidates, and the index of the one that ran it: those before it tried it first. */
  candidates: JobCandidate[];
  attempt: number;
  jobs_done: number;
  probation_from: number;
  proven_wrong_at: Date | null;
  /** Its jobs whose audit ended disputed (one auditor against it, no second one). */
  disputed: number;
}

export async function auditedJob(q: Queryable, jobId: string, lock = false): Promise<AuditedJob | undefined> {
  const r = await q.query<AuditedJob>(
    `SELECT j.id, j.user_id, j.model, j.kind, j.rig_id, r.owner_id, j.envelope, j.audit_copy, j.result_commitment,
       j.prompt_tokens, j.completion_tokens, j.input_tokens, j.max_tokens, j.price_nano_per_1k::text AS price_nano_per_1k,
       j.cost_nano::text AS cost_nano, j.rig_nano::text AS rig_nano, j.hold_trial_nano::text AS hold_trial_nano,
       j.hold_stars_nano::text AS hold_stars_nano, j.audit_state, j.candidates, j.attempt, r.jobs_done, r.probation_from, r.proven_wrong_at,
       (SELECT count(*) FROM jobs d WHERE d.rig_id = r.id AND d.audit_state = 'disputed')::int AS disputed
     FROM jobs j JOIN rigs r ON r.id = j.rig_id WHERE j.id = $1 AND j.state = 'done'${lock ? ' FOR UPDATE OF j' : ''}`,
    [jobId],
  );
  return r.rows[0];
}

/** SQL columns of a rig (aliased `r`) as an AuditorStanding reads them. */
function standingColumns(rules: TrustRules): string {
  return `r.id, r.owner_id, r.owner_id = ANY(${operatorsSql(rules)}) AS operator, ${bondSql()}::text AS bond,
    ${trustedAuditorSql(rules)} AS trusted`;
}

type StandingRow = { id: string; owner_id: string; operator: boolean; bond: string; trusted: boolean };
const toStanding = (r: StandingRow): AuditorStanding => ({
  id: r.id,
  ownerId: r.owner_id,
  operator: r.operator,
  bondNano: BigInt(r.bond),
  trusted: r.trusted,
});

/**
 * Rigs that may audit `job` (audits/trust.ts): trusted auditors among its envelope's recipients (the envelope
 * is sealed to them alone), online, in good standing, serving the job's model (with the catalogue's digest:
 * refused models aren't `served`; the operator's rigs even while cooling down: a user's bad-input jobs must
 * not take the anchor away, rigs/standing.ts); never of the audited rig's owner, never a candidate that tried the job
 * before the rig that ran it, and never of the owner of a rig already asked to audit it.
 */
export async function eligibleAuditors(
  q: Queryable,
  job: AuditedJob,
  rules: TrustRules,
): Promise<AuditorStanding[]> {
  // An audit-only candidate (market/candidates.ts) before the rig that ran the job never had it.
  const triedFirst = new Set(
    job.candidates
      .slice(0, job.attempt)
      .filter((c) => !c.auditOnly)
      .map((c) => c.rigId),
  );
  const addressed = job.envelope.recipients
    .map((c) => c.rigId)
    .filter((id) => id !== job.rig_id && !triedFirst.has(id));
  if (addressed.length === 0) return [];
  const r = await q.query<StandingRow>(
    `SELECT ${standingColumns(rules)} FROM rigs r JOIN rig_models rm ON rm.rig_id = r.id
     WHERE r.id = ANY($1::uuid[]) AND r.owner_id <> $2 AND rm.model = $3 AND rm.served
       -- The files the audited rig runs (its digest: per dtype, models/digest.ts): an fp32 auditor can't
       -- fairly score a q4 rig's draws. The catalogue pins one digest; without one (local mode) it matters.
       -- A rig that reports no digest (an older worker, allowed only without a catalogue) matches any.
       AND coalesce(rm.digest = (SELECT d.digest FROM rig_models d WHERE d.rig_id = $5 AND d.model = $3), true)
       AND r.connected_to IS NOT NULL AND ${trustedAuditorSql(rules)}
       AND (${inGoodStandingSql()} OR r.owner_id = ANY(${operatorsSql(rules)}))
       AND r.owner_id NOT IN (SELECT ar.owner_id FROM audits a JOIN rigs ar ON ar.id = a.auditor_rig_id
                              WHERE a.job_id = $4)`,
    [addressed, job.owner_id, job.model, job.id, job.rig_id],
  );
  return r.rows.map(toStanding);
}

/** The standing of the given rigs now (to weigh their verdicts). */
export async function auditorStandings(
  q: Queryable,
  rigIds: readonly string[],
  rules: TrustRules,
): Promise<Map<string, AuditorStanding>> {
  const r = await q.query<StandingRow>(
    `SELECT ${standingColumns(rules)} FROM rigs r WHERE r.id = ANY($1::uuid[])`,
    [rigIds],
  );
  return new Map(r.rows.map((row) => [row.id, toStanding(row)]));
}

/** What a conviction of the rig would pay back now: the cost of its unvouched work. */
export async function exposureOf(q: Queryable, rigId: string): Promise<bigint> {
  const r = await q.query<{ e: string }>(`SELECT ${exposureSql()}::text AS e FROM rigs r WHERE r.id = $1`, [
    rigId,
  ]);
  return BigInt(r.rows[0]?.e ?? '0');
}

/** An auditor outvoted by the operator's rig never audits again (kept across a release). */
export async function banFromAuditing(q: Queryable, rigId: string): Promise<void> {
  await q.query('UPDATE rigs SET audit_banned_at = coalesce(audit_banned_at, now()) WHERE id = $1', [rigId]);
}

export interface AuditRow {
  id: string;
  job_id: string;
  audited_rig_id: string;
  auditor_rig_id: string;
  round: number;
  state: 'sent' | 'pass' | 'fail' | 'unable' | 'expired';
  agreement_ppm: number | null;
  reason: string | null;
}

export async function insertAudit(
  q: Queryable,
  a: { id: string; jobId: string; auditedRigId: string; auditorRigId: string; round: number },
): Promise<void> {
  await q.query(
    'INSERT INTO audits (id, job_id, audited_rig_id, auditor_rig_id, round) VALUES ($1, $2, $3, $4, $5)',
    [a.id, a.jobId, a.auditedRigId, a.auditorRigId, a.round],
  );
}

export async function lockAudit(q: Queryable, auditId: string): Promise<AuditRow | undefined> {
  const r = await q.query<AuditRow>('SELECT * FROM audits WHERE id = $1 FOR UPDATE', [auditId]);
  return r.rows[0];
}

export async function auditsOfJob(q: Queryable, jobId: string): Promise<AuditRow[]> {
  const r = await q.query<AuditRow>('SELECT * FROM audits WHERE job_id = $1 ORDER BY round', [jobId]);
  return r.rows;
}

export async function recordVerdict(
  q: Queryable,
  auditId: string,
  v: { state: AuditRow['state']; agreementPpm: number; reason: string; signature: string },
): Promise<void> {
  await q.query(
    `UPDATE audits SET state = $2, agreement_ppm = $3, reason = $4, signature = $5, decided_at = now()
     WHERE id = $1`,
    [auditId, v.state, v.agreementPpm, v.reason, v.signature],
  );
}

/** A disputed job a trusted auditor passed: no conviction, but the pass ends its exposure (trust.ts). */
export async function vouchDisputed(q: Queryable, jobId: string): Promise<void> {
  await q.query('UPDATE jobs SET vouched_by_pass = true WHERE id = $1', [jobId]);
}

export async function setAuditState(q: Queryable, jobId: string, state: string | null): Promise<void> {
  await q.query('UPDATE jobs SET audit_state = $2 WHERE id = $1', [jobId, state]);
}

/**
 * A passed audit vouches for the audited job and for the rig's jobs that were finished before it started. (Not
 * up to its finish: a job run beside it, finished first, may be one the rig cheated on.) Only trusted auditors'
 * passes get here (trust.ts judge); they count toward the rig's own standing as an auditor (probation_passes).
 */
export async function recordPassed(q: Queryable, rigId: string, jobId: string): Promise<void> {
  await q.query(
    `UPDATE rigs SET audits_passed = audits_passed + 1, probation_passes = probation_passes + 1,
       last_passed_audit_at = greatest(last_passed_audit_at, (SELECT started_at FROM jobs WHERE id = $2))
     WHERE id = $1`,
    [rigId, jobId],
  );
}

/** Off the market; `provenWrong`: its own results were found wrong (not only its verdict as an auditor). */
export async function quarantine(
  q: Queryable,
  rigId: string,
  reason: string,
  provenWrong: boolean,
): Promise<void> {
  await q.query(
    `UPDATE rigs SET audits_failed = audits_failed + 1, quarantined_at = now(), quarantine_reason = $2,
       proven_wrong_at = CASE WHEN $3 THEN now() ELSE proven_wrong_at END
     WHERE id = $1`,
    [rigId, reason.slice(0, 500), provenWrong],
  );
}

/** The rig's ed25519 key and owner, to check a verdict it signed. */
export async function rigKey(
  q: Queryable,
  rigId: string,
): Promise<{ owner_id: string; ed25519_public_key: string | null } | undefined> {
  const r = await q.query<{ owner_id: string; ed25519_public_key: string | null }>(
    'SELECT owner_id, ed25519_public_key FROM rigs WHERE id = $1',
    [rigId],
  );
  return r.rows[0];
}

/** A job to refund: what it cost, how it was paid and split. */
export interface UnvouchedJob {
  id: string;
  user_id: string;
  cost_nano: string;
  rig_nano: string;
  fee_nano: string;
  hold_trial_nano: string;
  hold_stars_nano: string;
  pays_onchain: boolean;
}

/**
 * The finished jobs of a rig proven wrong that nothing vouches for: done since its last passed audit (all of
 * them if it never passed one), not yet refunded. Locked, oldest first.
 */
export async function unvouchedJobs(q: Queryable, rigId: string): Promise<UnvouchedJob[]> {
  const r = await q.query<UnvouchedJob>(
    `SELECT j.id, j.user_id, j.cost_nano::text AS cost_nano, j.rig_nano::text AS rig_nano,
       j.fee_nano::text AS fee_nano, j.hold_trial_nano::text AS hold_trial_nano,
       j.hold_stars_nano::text AS hold_stars_nano, j.pays_onchain
     FROM jobs j JOIN rigs r ON r.id = j.rig_id
     WHERE j.rig_id = $1 AND ${unvouchedSql('j', 'r')}
     ORDER BY j.finished_at FOR UPDATE OF j`,
    [rigId],
  );
  return r.rows;
}

/** Audits without a verdict past their time: their jobs, and the auditors that never answered. */
export async function expireAudits(
  q: Queryable,
  olderThanMs: number,
): Promise<Array<{ job_id: string; auditor_rig_id: string }>> {
  const r = await q.query<{ job_id: string; auditor_rig_id: string }>(
    `UPDATE audits SET state = 'expired', decided_at = now()
     WHERE state = 'sent' AND created_at < now() - $1 * interval '1 millisecond' RETURNING job_id, auditor_rig_id`,
    [olderThanMs],
  );
  return r.rows;
}

/** An auditor rig's owner and its ask for `model` (null when it doesn't serve it); undefined: no such rig. */
export async function auditorAsk(
  q: Queryable,
  rigId: string,
  model: string,
): Promise<{ owner_id: string; price: string | null } | undefined> {
  const r = await q.query<{ owner_id: string; price: string | null }>(
    `SELECT r.owner_id, rm.price_nano_per_1k::text AS price FROM rigs r
     LEFT JOIN rig_models rm ON rm.rig_id = r.id AND rm.model = $2 WHERE r.id = $1`,
    [rigId, model],
  );
  return r.rows[0];
}
