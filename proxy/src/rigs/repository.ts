// Rigs: registration (token shown once, stored hashed), rotation, revocation, pause, asks and stats.
// Every write to the `rigs` and `rig_models` tables is here, save one: settling a job bumps the rig's
// jobs_done and total_job_ms in the same statement as the job row (jobs/repository.ts,
// markDoneAndCountForRig), to keep settlement at one round trip.

import { randomUUID } from 'node:crypto';
import {
  DIGEST_PREFIX_LENGTH,
  fromBase64,
  keyFingerprint,
  type RigAuditView,
  type RigHistoryView,
  type RigView,
  type WorkerToProxy,
} from '@cocoon/shared';
import { type TrustRow, trustView } from '../attestation/trust-view';
import { hashSecret, newRigToken } from '../auth/tokens';
import { isOperatorRig } from '../bonds/bonds';
import { bondSql, exposureSql } from '../bonds/repository';
import type { Config } from '../config';
import type { Db, Queryable } from '../db';
import { notFound } from '../errors';
import { rigSpeeds, type SpeedConfig, speedKey, UNMEASURED } from '../market/speed';
import { HELD_STARS_SQL, STARS_RELEASE_AT_SQL } from '../stars/repository';
import type { ModelCatalogue } from './catalogue';

export interface RigRow extends TrustRow {
  id: string;
  owner_id: string;
  name: string;
  paused: boolean;
  revoked_at: Date | null;
  x25519_public_key: string | null;
  ed25519_public_key: string | null;
  device: 'cuda' | 'cpu' | null;
  slots: number;
  connected_to: string | null;
  last_seen_at: Date | null;
  jobs_done: number;
  jobs_failed: number;
  total_job_ms: string;
  audits_passed: number;
  audits_failed: number;
  quarantined_at: Date | null;
  quarantine_reason: string | null;
  probation_from: number;
  bond_withdraw_requested_at: Date | null;
}

type BondRules = Parameters<typeof isOperatorRig>[0] & Pick<Config, 'BOND_COOLING_OFF_MS'>;

export async function registerRig(
  db: Db,
  ownerId: string,
  name: string,
): Promise<{ id: string; token: string }> {
  const id = randomUUID();
  const token = newRigToken();
  await db.query('INSERT INTO rigs (id, owner_id, name, token_hash) VALUES ($1, $2, $3, $4)', [
    id,
    ownerId,
    name,
    hashSecret(token),
  ]);
  return { id, token };
}

export async function rigByToken(q: Queryable, token: string): Promise<RigRow | undefined> {
  const r = await q.query<RigRow>('SELECT * FROM rigs WHERE token_hash = $1 AND revoked_at IS NULL', [
    hashSecret(token),
  ]);
  return r.rows[0];
}

/** Loads a rig the caller owns, or answers 404 (never reveals other owners' rigs). */
export async function ownedRig(q: Queryable, ownerId: string, rigId: string): Promise<RigRow> {
  const r = await q.query<RigRow>('SELECT * FROM rigs WHERE id = $1 AND owner_id = $2', [rigId, ownerId]);
  if (!r.rows[0]) throw notFound('no such rig');
  return r.rows[0];
}

export async function rotateRigToken(db: Db, ownerId: string, rigId: string): Promise<string> {
  const rig = await ownedRig(db, ownerId, rigId);
  if (rig.revoked_at) throw notFound('this rig is revoked; register a new one');
  const token = newRigToken();
  await db.query('UPDATE rigs SET token_hash = $2 WHERE id = $1', [rigId, hashSecret(token)]);
  return token;
}

/** Pauses a rig (it gets no new jobs) or resumes it. */
export async function setPaused(q: Queryable, rigId: string, paused: boolean): Promise<void> {
  await q.query('UPDATE rigs SET paused = $2 WHERE id = $1', [rigId, paused]);
}

/** Sets a rig's ask for a model; false when the rig has never served that model. */
export async function setAsk(
  q: Queryable,
  rigId: string,
  model: string,
  priceNanoPer1k: bigint,
): Promise<boolean> {
  const r = await q.query(
    'UPDATE rig_models SET price_nano_per_1k = $3::numeric WHERE rig_id = $1 AND model = $2 RETURNING model',
    [rigId, model, priceNanoPer1k],
  );
  return r.rows.length > 0;
}

/** Revokes a rig for good (the first revocation time is kept) and pauses it. */
export async function revokeRig(q: Queryable, rigId: string): Promise<void> {
  await q.query('UPDATE rigs SET revoked_at = coalesce(revoked_at, now()), paused = true WHERE id = $1', [
    rigId,
  ]);
}

type Hello = Extract<WorkerToProxy, { type: 'hello' }>;

/**
 * A rig said hello on this proxy's socket: its keys, device and slots, that it is connected here, and the
 * models it serves now (new ones at the default ask; an existing ask is kept), in one transaction. Each model
 * is judged by the catalogue: a catalogued one takes the catalogue's kinds, context and grade; a refused one
 * is kept unserved with its reason (the rig's owner sees it). Returns the refusals, for the worker.
 */
export async function recordHello(
  db: Db,
  rigId: string,
  hello: Pick<Hello, 'x25519PublicKey' | 'ed25519PublicKey' | 'device' | 'slots' | 'models' | 'attestation'>,
  instanceId: string,
  defaultAskNanoPer1k: bigint,
  catalogue: ModelCatalogue,
): Promise<Array<{ model: string; reason: string }>> {
  const refused: Array<{ model: string; reason: string }> = [];
  await db.tx(async (q) => {
    // New keys start in the open tier, in the same write: a tier earned by evidence for the old keys must
    // never be offered with new ones (attestation/service.ts puts it back once evidence for these verifies).
    await q.query(
      `UPDATE rigs SET x25519_public_key = $2, ed25519_public_key = $3, device = $4, slots = $5,
         connected_to = $6, last_seen_at = now(), connected_since = coalesce(connected_since, now()),
         tee = $7, trust_tier = 'open', evidence = NULL, evidence_checked_at = NULL
       WHERE id = $1`,
      [
        rigId,
        hello.x25519PublicKey,
        hello.ed25519PublicKey,
        hello.device,
        hello.slots,
        instanceId,
        hello.attestation.kind,
      ],
    );
    await q.query('UPDATE rig_models SET served = false, refused = NULL WHERE rig_id = $1', [rigId]);
    for (const m of hello.models) {
      const verdict = catalogue.judge(m);
      const reason = verdict.served ? null : verdict.reason;
      if (reason) refused.push({ model: m.id, reason });
      const kinds = verdict.entry?.kinds ?? m.kinds;
      const contextLength = verdict.entry?.contextLength ?? m.contextLength;
      const demoGrade = verdict.entry?.demoGrade ?? m.demoGrade;
      await q.query(
        `INSERT INTO rig_models (rig_id, model, kinds, context_length, demo_grade, served, price_nano_per_1k, digest, refused)
         VALUES ($1, $2, $3, $4, $5, $6, $7::numeric, $8, $9)
         ON CONFLICT (rig_id, model) DO UPDATE SET kinds = $3, context_length = $4, demo_grade = $5, served = $6,
           digest = $8, refused = $9`,
        [
          rigId,
          m.id,
          kinds,
          contextLength,
          demoGrade,
          verdict.served,
          defaultAskNanoPer1k,
          m.digest ?? null,
          reason,
        ],
      );
    }
  });
  return refused;
}

/** A heartbeat: the rig was seen now. */
export async function touchRig(q: Queryable, rigId: string): Promise<void> {
  await q.query('UPDATE rigs SET last_seen_at = now() WHERE id = $1', [rigId]);
}

/** The rig's socket on this proxy closed (a newer socket on another proxy keeps its mark). */
/** The SQL that ends a rig's connection at `end`: its time online is added up (for its uptime). */
const goOffline = (end: string) => `connected_to = NULL, connected_since = NULL,
  online_ms = online_ms + coalesce(greatest(0, extract(epoch FROM ${end} - connected_since) * 1000)::bigint, 0)`;

export async function markDisconnected(q: Queryable, rigId: string, instanceId: string): Promise<void> {
  await q.query(`UPDATE rigs SET ${goOffline('now()')} WHERE id = $1 AND connected_to = $2`, [
    rigId,
    instanceId,
  ]);
}

/** At start: rigs marked connected but not seen for `staleAfterMs` are offline (their proxy crashed). */
export async function clearStaleConnections(q: Queryable, staleAfterMs: number): Promise<void> {
  await q.query(
    // Their proxy crashed: they were last known online when last seen.
    `UPDATE rigs SET ${goOffline('last_seen_at')}
     WHERE connected_to IS NOT NULL AND last_seen_at < now() - $1 * interval '1 millisecond'`,
    [staleAfterMs],
  );
}

export async function rigViews(
  q: Queryable,
  rules: BondRules & SpeedConfig,
  ownerId: string,
  rigId?: string,
): Promise<RigView[]> {
  const rigs = await q.query<
    RigRow & {
      running: string;
      earnings: string | null;
      held_stars: string;
      stars_release_at: Date | null;
      bond: string;
      exposure: string;
      latency: { p50: number | null; p95: number | null } | null;
      uptime: number;
    }
  >(
    `SELECT r.*,
       (SELECT count(*) FROM jobs j WHERE j.rig_id = r.id AND j.state = 'running')::text AS running,
       (SELECT sum(j.rig_nano) FROM jobs j WHERE j.rig_id = r.id AND j.state = 'done')::text AS earnings,
       ${HELD_STARS_SQL}::text AS held_stars, ${STARS_RELEASE_AT_SQL} AS stars_release_at,
       ${bondSql()}::text AS bond, ${exposureSql()}::text AS exposure,
       (SELECT json_build_object(
          'p50', percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), 'p95', percentile_cont(0.95) WITHIN GROUP (ORDER BY ms))
        FROM (SELECT extract(epoch FROM j.finished_at - j.started_at) * 1000 AS ms FROM jobs j
              WHERE j.rig_id = r.id AND j.state = 'done' AND j.started_at IS NOT NULL
              ORDER BY j.finished_at DESC LIMIT 500) recent) AS latency,
       (r.online_ms + CASE WHEN r.connected_since IS NULL THEN 0
          ELSE greatest(0, extract(epoch FROM now() - r.connected_since) * 1000) END)::float8
         / greatest(1, extract(epoch FROM now() - r.created_at) * 1000)::float8 AS uptime
     FROM rigs r WHERE r.owner_id = $1 AND ($2::uuid IS NULL OR r.id = $2::uuid) ORDER BY r.created_at`,
    [ownerId, rigId ?? null],
  );
  const models = await q.query<{
    rig_id: string;
    model: string;
    price: string;
    demo_grade: boolean;
    digest: string | null;
    refused: string | null;
  }>(
    `SELECT rm.rig_id, rm.model, rm.price_nano_per_1k::text AS price, rm.demo_grade, rm.digest, rm.refused
     FROM rig_models rm JOIN rigs r ON r.id = rm.rig_id
     WHERE r.owner_id = $1 AND (rm.served OR rm.refused IS NOT NULL) ORDER BY rm.model`,
    [ownerId],
  );
  const speeds = await rigSpeeds(q, rules, { rigIds: rigs.rows.map((r) => r.id) });
  return rigs.rows.map((r) => {
    const finished = r.jobs_done + r.jobs_failed;
    const operator = isOperatorRig(rules, r.owner_id);
    return {
      id: r.id,
      name: r.name,
      online: r.connected_to !== null && !r.revoked_at,
      paused: r.paused,
      revoked: r.revoked_at !== null,
      device: r.device,
      slots: r.slots,
      running: Number(r.running),
      models: models.rows
        .filter((m) => m.rig_id === r.id)
        .map((m) => ({
          id: m.model,
          priceNanoPer1k: m.price,
          demoGrade: m.demo_grade,
          digest: m.digest ? m.digest.slice(0, DIGEST_PREFIX_LENGTH) : null,
          refused: m.refused,
          speed: speeds.get(speedKey(r.id, m.model)) ?? UNMEASURED,
        })),
      jobsDone: r.jobs_done,
      jobsFailed: r.jobs_failed,
      successRate: finished ? r.jobs_done / finished : null,
      avgJobMs: r.jobs_done ? Math.round(Number(r.total_job_ms) / r.jobs_done) : null,
      earningsNano: r.earnings ?? '0',
      heldStarsNano: r.held_stars,
      starsReleaseAt: r.stars_release_at ? new Date(r.stars_release_at).toISOString() : null,
      fingerprint:
        r.x25519_public_key && r.ed25519_public_key
          ? keyFingerprint(fromBase64(r.x25519_public_key), fromBase64(r.ed25519_public_key))
          : null,
      lastSeenAt: r.last_seen_at ? new Date(r.last_seen_at).toISOString() : null,
      auditsPassed: r.audits_passed,
      auditsFailed: r.audits_failed,
      quarantine: r.quarantined_at
        ? { since: new Date(r.quarantined_at).toISOString(), reason: r.quarantine_reason ?? '' }
        : null,
      latencyMs: {
        p50: r.latency?.p50 == null ? null : Math.round(r.latency.p50),
        p95: r.latency?.p95 == null ? null : Math.round(r.latency.p95),
      },
      uptime: Math.min(1, Math.max(0, Number(r.uptime))),
      operator,
      probationJobsLeft: operator
        ? 0
        : Math.max(0, rules.AUDIT_PROBATION_JOBS - (r.jobs_done - r.probation_from)),
      bondNano: r.bond,
      bondRequiredNano: operator ? '0' : rules.BOND_NANO.toString(),
      exposureNano: r.exposure,
      bondWithdrawableAt: r.bond_withdraw_requested_at
        ? new Date(new Date(r.bond_withdraw_requested_at).getTime() + rules.BOND_COOLING_OFF_MS).toISOString()
        : null,
      trust: trustView(r),
    };
  });
}

/** The audits that concern an owner's rig, newest first: of its jobs, and the ones it gave as an auditor. */
export async function rigAudits(q: Queryable, rigId: string, limit = 100): Promise<RigAuditView[]> {
  const r = await q.query<{
    job_id: string;
    model: string;
    role: 'audited' | 'auditor';
    round: number;
    state: RigAuditView['state'];
    agreement_ppm: number | null;
    reason: string | null;
    audit_state: string | null;
    created_at: Date;
  }>(
    `SELECT a.job_id, j.model, CASE WHEN a.audited_rig_id = $1 THEN 'audited' ELSE 'auditor' END AS role,
       a.round, a.state, a.agreement_ppm, a.reason, j.audit_state, a.created_at
     FROM audits a JOIN jobs j ON j.id = a.job_id
     WHERE a.audited_rig_id = $1 OR a.auditor_rig_id = $1 ORDER BY a.created_at DESC LIMIT $2`,
    [rigId, limit],
  );
  return r.rows.map((a) => ({
    jobId: a.job_id,
    model: a.model,
    role: a.role,
    round: a.round,
    state: a.state,
    agreement: a.agreement_ppm === null ? null : a.agreement_ppm / 1_000_000,
    reason: a.reason || null,
    jobAudit: a.audit_state,
    at: new Date(a.created_at).toISOString(),
  }));
}

/** Puts a quarantined rig back on the market (its owner has seen the evidence); its probation starts over. */
export async function releaseRig(q: Queryable, rigId: string): Promise<void> {
  await q.query(
    `UPDATE rigs SET quarantined_at = NULL, quarantine_reason = NULL, proven_wrong_at = NULL,
       probation_from = jobs_done, probation_passes = 0
     WHERE id = $1`,
    [rigId],
  );
}

/** Asks the estimator tries, as shares of the rig's lowest current ask (and that ask itself). */
const ESTIMATE_SHARES = [0.5, 0.8, 1, 1.25, 2];

/** A rig's last 30 days by day, its fill over the last day, and what other asks would have won (RigHistoryView). */
export async function rigHistory(q: Queryable, rigId: string): Promise<RigHistoryView> {
  const byDay = await q.query<{ day: string; jobs: string; tokens: string; earnings: string }>(
    `SELECT to_char(date_trunc('day', finished_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, count(*)::text AS jobs,
       sum(prompt_tokens + completion_tokens)::text AS tokens, sum(rig_nano)::text AS earnings
     FROM jobs WHERE rig_id = $1 AND state = 'done' AND finished_at > now() - interval '30 days'
     GROUP BY 1`,
    [rigId],
  );
  const found = new Map(byDay.rows.map((r) => [r.day, r]));
  const days = Array.from({ length: 30 }, (_, i) => {
    const day = new Date(Date.now() - (29 - i) * 86_400_000).toISOString().slice(0, 10);
    const r = found.get(day);
    return {
      day,
      jobs: Number(r?.jobs ?? 0),
      tokens: Number(r?.tokens ?? 0),
      earningsNano: r?.earnings ?? '0',
    };
  });
  const fill = await q.query<{ offered: string; ran: string }>(
    `SELECT count(*)::text AS offered, count(*) FILTER (WHERE rig_id = $1 AND state = 'done')::text AS ran
     FROM jobs WHERE created_at > now() - interval '1 day' AND state <> 'quoted'
       AND candidates @> jsonb_build_array(jsonb_build_object('rigId', $1::text))`,
    [rigId],
  );
  const asks = await q.query<{ price: string }>(
    'SELECT min(price_nano_per_1k)::text AS price FROM rig_models WHERE rig_id = $1 AND served',
    [rigId],
  );
  const won = await q.query<{ price: string }>(
    `SELECT j.price_nano_per_1k::text AS price FROM jobs j
     WHERE j.state = 'done' AND j.finished_at > now() - interval '1 day'
       AND j.model IN (SELECT model FROM rig_models WHERE rig_id = $1 AND served)`,
    [rigId],
  );
  const own = asks.rows[0]?.price ? BigInt(asks.rows[0].price) : null;
  const prices = won.rows.map((r) => BigInt(r.price));
  const askEstimate = own
    ? ESTIMATE_SHARES.map((share) => {
        const ask = (own * BigInt(Math.round(share * 100))) / 100n;
        return { askNanoPer1k: ask.toString(), jobsWon: prices.filter((p) => p >= ask).length };
      })
    : [];
  return {
    days,
    fill: { offered: Number(fill.rows[0].offered), ran: Number(fill.rows[0].ran) },
    askEstimate,
    jobsLastDay: prices.length,
  };
}
