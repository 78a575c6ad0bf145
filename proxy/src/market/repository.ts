// The SQL of the market: the price board's asks, fills and medians, the rigs eligible for a job and the
// cheapest ask, and the measured speeds. Every function takes a Queryable. The rules (who is eligible, how
// speeds rank) are candidates.ts's, board.ts's and speed.ts's; the bond and trust conditions come from
// bonds/repository.ts and audits/trust-repository.ts.
import type { Device, TrustTier } from '@cocoon/shared';
import { trustedAuditorSql } from '../audits/trust-repository';
import { STANDINGS, type Standing } from '../bonds/bonds';
import { bondedSql, bondSql, operatorsSql, standingSql } from '../bonds/repository';
import type { Queryable } from '../db';
import { inGoodStandingSql } from '../rigs/standing-repository';

/** One rung of the ask ladder: its rigs, free slots, and how many rigs of each standing ask it. */
export type AskRow = {
  model: string;
  price: string;
  rigs: string;
  free: string;
  demo: boolean;
  digest: string | null;
  tier: TrustTier;
} & Record<Standing, string>;

/** The asks of online rigs per model, tier and price, with their capacity and, per standing (bonds/bonds.ts), how many rigs ask it. */
export async function askLadder(q: Queryable, rules: Parameters<typeof standingSql>[0]): Promise<AskRow[]> {
  const standing = standingSql(rules);
  const r = await q.query<AskRow>(
    `SELECT rm.model, r.trust_tier AS tier, rm.price_nano_per_1k::text AS price, count(*)::text AS rigs, bool_or(rm.demo_grade) AS demo,
       min(rm.digest) AS digest,
       sum(GREATEST(r.slots - (SELECT count(*) FROM jobs j WHERE j.rig_id = r.id AND j.state = 'running'), 0))::text AS free,
       ${STANDINGS.map((s) => `count(*) FILTER (WHERE ${standing} = '${s}')::text AS ${s}`).join(', ')}
     FROM rigs r JOIN rig_models rm ON rm.rig_id = r.id
     WHERE rm.served AND r.connected_to IS NOT NULL AND NOT r.paused AND r.revoked_at IS NULL
     GROUP BY rm.model, r.trust_tier, rm.price_nano_per_1k ORDER BY rm.model, r.trust_tier, rm.price_nano_per_1k`,
  );
  return r.rows;
}

/** Per model, its last 20 done jobs: price, tokens and when. */
export async function recentFills(
  q: Queryable,
): Promise<{ model: string; price: string; tokens: number; at: Date }[]> {
  const r = await q.query<{ model: string; price: string; tokens: number; at: Date }>(
    `SELECT model, price::text, tokens, at FROM (
       SELECT model, price_nano_per_1k AS price, prompt_tokens + completion_tokens AS tokens, finished_at AS at,
         row_number() OVER (PARTITION BY model ORDER BY finished_at DESC) AS n
       FROM jobs WHERE state = 'done') f WHERE n <= 20 ORDER BY model, at DESC`,
  );
  return r.rows;
}

/** Per model, the median price of its jobs done in the last 24 hours. */
export async function medianPrices24h(q: Queryable): Promise<{ model: string; median: string | null }[]> {
  const r = await q.query<{ model: string; median: string | null }>(
    `SELECT model, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY price_nano_per_1k))::text AS median
     FROM jobs WHERE state = 'done' AND finished_at > now() - interval '24 hours' GROUP BY model`,
  );
  return r.rows;
}

/** Each online rig's ask per model it serves, cheapest first per model. */
export async function onlineAsks(q: Queryable): Promise<
  {
    rig_id: string;
    model: string;
    tier: TrustTier;
    price: string;
    device: Device | null;
  }[]
> {
  const r = await q.query<{
    rig_id: string;
    model: string;
    tier: TrustTier;
    price: string;
    device: Device | null;
  }>(
    `SELECT r.id AS rig_id, rm.model, r.trust_tier AS tier, rm.price_nano_per_1k::text AS price, r.device
     FROM rigs r JOIN rig_models rm ON rm.rig_id = r.id
     WHERE rm.served AND r.connected_to IS NOT NULL AND NOT r.paused AND r.revoked_at IS NULL
     ORDER BY rm.model, rm.price_nano_per_1k`,
  );
  return r.rows;
}

/** The models online rigs serve, whether any is demo grade, and a digest; the first `limit` by name. */
export async function servedModels(
  q: Queryable,
  limit: number,
): Promise<{ model: string; demo: boolean; digest: string | null }[]> {
  const r = await q.query<{ model: string; demo: boolean; digest: string | null }>(
    `SELECT rm.model, bool_or(rm.demo_grade) AS demo, min(rm.digest) AS digest FROM rigs r JOIN rig_models rm ON rm.rig_id = r.id
     WHERE rm.served AND r.connected_to IS NOT NULL AND NOT r.paused AND r.revoked_at IS NULL
     GROUP BY rm.model ORDER BY rm.model LIMIT ${Math.trunc(limit)}`,
  );
  return r.rows;
}

/** The job kinds each model is served for by online rigs. */
export async function servedKinds(q: Queryable): Promise<{ model: string; kind: string }[]> {
  const r = await q.query<{ model: string; kind: string }>(
    `SELECT DISTINCT rm.model, k AS kind FROM rigs r JOIN rig_models rm ON rm.rig_id = r.id, unnest(rm.kinds) AS k
     WHERE rm.served AND r.connected_to IS NOT NULL AND NOT r.paused AND r.revoked_at IS NULL
     ORDER BY rm.model, k`,
  );
  return r.rows;
}

/** An eligible rig with its ask, load, record and what the anchor draw weighs. */
export interface EligibleRigRow {
  id: string;
  owner_id: string;
  price: string;
  x25519_public_key: string;
  ed25519_public_key: string;
  device: 'cuda' | 'cpu';
  slots: number;
  running: string;
  trust_tier: TrustTier;
  jobs_done: number;
  jobs_failed: number;
  total_job_ms: string;
  trusted: boolean;
  operator: boolean;
  bond: string;
  cooling: boolean;
}

/** The rigs eligible for a job (candidates.ts says the rule), unranked, with what the ranking and the anchor draw need. */
export async function eligibleRigRows(
  q: Queryable,
  req: { model: string; kind: string; maxPriceNanoPer1k?: bigint; minTrust?: TrustTier },
  askCeilingNanoPer1k: bigint,
  bondRules: Parameters<typeof bondedSql>[0],
  tdxModelDigests: string[] | null,
): Promise<EligibleRigRow[]> {
  const r = await q.query<EligibleRigRow>(
    `SELECT r.id, r.owner_id, rm.price_nano_per_1k::text AS price, r.x25519_public_key, r.ed25519_public_key,
       r.device, r.slots, r.trust_tier, r.jobs_done, r.jobs_failed, r.total_job_ms::text AS total_job_ms,
       (SELECT count(*) FROM jobs j WHERE j.rig_id = r.id AND j.state = 'running')::text AS running,
       ${trustedAuditorSql(bondRules)} AS trusted, r.owner_id = ANY(${operatorsSql(bondRules)}) AS operator,
       ${bondSql()}::text AS bond, NOT ${inGoodStandingSql()} AS cooling
     FROM rigs r JOIN rig_models rm ON rm.rig_id = r.id
     WHERE rm.model = $1 AND rm.served AND $2 = ANY(rm.kinds)
       AND r.connected_to IS NOT NULL AND NOT r.paused AND r.revoked_at IS NULL
       AND (${inGoodStandingSql()} OR (r.owner_id = ANY(${operatorsSql(bondRules)}) AND r.quarantined_at IS NULL))
       AND ${bondedSql(bondRules)}
       AND ($3::numeric IS NULL OR rm.price_nano_per_1k <= $3::numeric) AND rm.price_nano_per_1k <= $4::numeric
       AND ($5 = 'open' OR (r.trust_tier = 'tdx'
         AND ($6::text[] IS NULL OR (rm.model || ':' || coalesce(rm.digest, '')) = ANY($6::text[]))))`,
    [
      req.model,
      req.kind,
      req.maxPriceNanoPer1k ?? null,
      askCeilingNanoPer1k,
      req.minTrust ?? 'open',
      tdxModelDigests,
    ],
  );
  return r.rows;
}

/** The cheapest ask online for a model and kind, from rigs in good standing. */
export async function cheapestAskRow(
  q: Queryable,
  model: string,
  kind: string,
): Promise<{ p: string | null } | undefined> {
  const r = await q.query<{ p: string | null }>(
    `SELECT min(rm.price_nano_per_1k)::text AS p FROM rigs r JOIN rig_models rm ON rm.rig_id = r.id
     WHERE rm.model = $1 AND rm.served AND $2 = ANY(rm.kinds) AND r.connected_to IS NOT NULL
       AND NOT r.paused AND r.revoked_at IS NULL AND ${inGoodStandingSql()}`,
    [model, kind],
  );
  return r.rows[0];
}

/** Per rig and model, the median speed figures of its settled jobs (speed.ts says which count and how). */
export async function speedFigures(
  q: Queryable,
  windowMs: number,
  models: string[] | null,
  rigIds: string[] | null,
  sampleJobs: number,
): Promise<
  {
    rig_id: string;
    model: string;
    jobs: string;
    ttft: number | null;
    tps: number | null;
  }[]
> {
  const r = await q.query<{
    rig_id: string;
    model: string;
    jobs: string;
    ttft: number | null;
    tps: number | null;
  }>(
    // Each payer is one vote: a payer's figure is the median over its own last SPEED_SAMPLE_JOBS jobs on the
    // rig, and the rig's is the median of the figures of its last SPEED_SAMPLE_JOBS payers. Without this, one
    // user flooding a rival with context-filling jobs (or a rig's Sybil flooding it with tiny ones) filled the
    // whole sample and set the rig's figures alone; now it takes as many accounts as the rig has other payers.
    `WITH recent AS (
       -- Trial-paid jobs vote as one payer: every fresh account gets TRIAL_CREDIT_NANO, which pays the rig's
       -- owner back in trial credit, so accounts paying with it are free Sybil votes.
       SELECT j.rig_id, j.model, j.finished_at,
         CASE WHEN j.hold_trial_nano > 0 THEN 'trial' ELSE j.user_id END AS payer,
         greatest(0, extract(epoch FROM j.first_token_at - j.started_at) * 1000) AS ttft,
         CASE WHEN j.completion_tokens >= 2 AND j.finished_at > j.first_token_at
             AND j.finished_at - j.first_token_at >= (j.finished_at - j.started_at) / 2
           THEN (j.completion_tokens - 1) / extract(epoch FROM j.finished_at - j.first_token_at) END AS tps,
         row_number() OVER (
           PARTITION BY j.rig_id, j.model, CASE WHEN j.hold_trial_nano > 0 THEN 'trial' ELSE j.user_id END
           ORDER BY j.finished_at DESC) AS n
       FROM jobs j JOIN rigs r ON r.id = j.rig_id
       WHERE j.state = 'done' AND j.started_at IS NOT NULL AND j.first_token_at IS NOT NULL
         AND j.user_id <> r.owner_id
         -- A job refunded after a failed audit was made up, not computed: its speed is no measure (and a
         -- rig answering junk at once would show the market's fastest figures).
         AND j.audit_state IS DISTINCT FROM 'refunded'
         AND j.finished_at > now() - $1::float8 * interval '1 millisecond'
         AND ($2::text[] IS NULL OR j.model = ANY($2::text[]))
         AND ($3::uuid[] IS NULL OR j.rig_id = ANY($3::uuid[]))
     ), payers AS (
       SELECT rig_id, model, count(*) AS jobs,
         row_number() OVER (PARTITION BY rig_id, model ORDER BY max(finished_at) DESC) AS m,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY ttft) AS ttft,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY tps) AS tps
       FROM recent WHERE n <= $4 GROUP BY rig_id, model, payer
     )
     SELECT rig_id, model, sum(jobs)::text AS jobs,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ttft)::float8 AS ttft,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY tps)::float8 AS tps
     FROM payers WHERE m <= $4 GROUP BY rig_id, model`,
    [windowMs, models, rigIds, sampleJobs],
  );
  return r.rows;
}
