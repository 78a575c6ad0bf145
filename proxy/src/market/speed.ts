// Speed on the market: each rig's measured time to first token and decode speed per model, the expected time
// a quote carries, and the order a client asking for speed gets.
//
// Measured by the proxy's own clock over settled jobs: the claim (started_at), the first output
// (first_token_at: the first streamed chunk or the first heartbeat reporting tokens done, jobs/repository.ts)
// and the settlement (finished_at). Per job: time to first token = first output − claim; decode speed =
// (completion tokens − 1) ÷ (settlement − first output), for jobs with at least two completion tokens whose
// output came over time (a summarizer's comes at once: it measures a first token only). The figures are the
// medians, over the rig's last SPEED_SAMPLE_JOBS payers of the model within SPEED_WINDOW_MS, of each payer's
// median over its own last SPEED_SAMPLE_JOBS such jobs: one odd job moves nothing, and one payer is one vote.
//
// What a rig can't fake cheaply: only jobs paid by other users than the rig's owner count (self-dealing
// counts for nothing, as in rigs/standing.ts), so a fast showing costs real jobs bought at the market's price
// plus the fee; the claim and the settlement are the proxy's clock and a result can't come before it exists.
// What stays the rig's word is where its first output falls between them (bounded by the first-token
// deadline, jobs/progress.ts): holding output back trades time to first token for decode speed, the total
// a quote expects for a job of the measured length staying what the rig really took. So a job measures a
// decode speed only when its decode took at least half of its run: holding output back can at most double
// a rig's decode speed, and a rig that holds it back further gets none (it ranks as unmeasured, bySpeed).
// An honest rig's jobs whose prompt took longer than their decode measure its first token only.
import type { Config } from '../config';
import type { Queryable } from '../db';

export type SpeedConfig = Pick<Config, 'SPEED_SAMPLE_JOBS' | 'SPEED_WINDOW_MS'>;

/** A rig's measured speed for one model; null figures: not measured yet. */
export interface RigSpeed {
  /** Median milliseconds from the claim to the first output. */
  firstTokenMs: number | null;
  /** Median completion tokens per second after the first. */
  tokensPerS: number | null;
  /** Settled jobs measured (paid by others, in the window, each payer's last SPEED_SAMPLE_JOBS). */
  jobs: number;
}

export type Priority = 'price' | 'speed';

/**
 * Measured speeds of rigs for models: keyed `rigId model` (see speedKey). `models` and `rigIds` narrow the
 * query (null: all). Rigs and models with no measured job are absent.
 */
export async function rigSpeeds(
  q: Queryable,
  config: SpeedConfig,
  filter: { models?: string[] | null; rigIds?: string[] | null } = {},
): Promise<Map<string, RigSpeed>> {
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
    [config.SPEED_WINDOW_MS, filter.models ?? null, filter.rigIds ?? null, config.SPEED_SAMPLE_JOBS],
  );
  return new Map(
    r.rows.map((row) => [
      speedKey(row.rig_id, row.model),
      {
        firstTokenMs: row.ttft === null ? null : Math.round(row.ttft),
        tokensPerS: row.tps === null ? null : Math.round(row.tps * 100) / 100,
        jobs: Number(row.jobs),
      },
    ]),
  );
}

export function speedKey(rigId: string, model: string): string {
  return `${rigId} ${model}`;
}

export const UNMEASURED: RigSpeed = { firstTokenMs: null, tokensPerS: null, jobs: 0 };

/**
 * Milliseconds a job of `maxTokens` is expected to take on a rig once it starts: first token + max tokens ÷
 * decode speed. Undefined when either is unmeasured.
 */
export function expectedMs(speed: RigSpeed, maxTokens: number): number | undefined {
  if (speed.firstTokenMs === null || speed.tokensPerS === null || speed.tokensPerS <= 0) return undefined;
  return Math.round(speed.firstTokenMs + (maxTokens * 1000) / speed.tokensPerS);
}

interface Timed {
  priceNanoPer1k: string;
  expectedWaitMs: number;
  successRate: number;
  expectedMs?: number;
}

/**
 * The order a client asking for speed gets: soonest result first (expected wait + expected time), then the
 * cheaper ask, then the better record. A rig not measured yet is ranked as the median measured rig of the
 * list (a neutral guess, not the last place): it still gets speed-first jobs whenever it is as free as the
 * others, and every price-first job, so it gets measured and then stands on its own figures. Only a reorder:
 * which rigs are eligible and the candidate rules stay market/candidates.ts's.
 */
export function bySpeed<T extends Timed>(ranked: readonly T[]): T[] {
  const measured = ranked
    .map((r) => r.expectedMs)
    .filter((ms): ms is number => ms !== undefined)
    .sort((a, b) => a - b);
  const neutral = measured.length ? measured[Math.floor((measured.length - 1) / 2)] : 0;
  const soonest = (r: T) => r.expectedWaitMs + (r.expectedMs ?? neutral);
  return [...ranked].sort(
    (a, b) =>
      soonest(a) - soonest(b) ||
      compareBig(BigInt(a.priceNanoPer1k), BigInt(b.priceNanoPer1k)) ||
      b.successRate - a.successRate,
  );
}

/** Each rig with its measured speed for `model` and the expected time of a job of `maxTokens`. */
export async function withSpeeds<T extends { rigId: string }>(
  q: Queryable,
  config: SpeedConfig,
  model: string,
  maxTokens: number,
  rigs: readonly T[],
): Promise<Array<T & { speed: RigSpeed; expectedMs?: number }>> {
  if (rigs.length === 0) return [];
  const speeds = await rigSpeeds(q, config, { models: [model], rigIds: rigs.map((r) => r.rigId) });
  return rigs.map((r) => {
    const speed = speeds.get(speedKey(r.rigId, model)) ?? UNMEASURED;
    const ms = expectedMs(speed, maxTokens);
    return { ...r, speed, ...(ms !== undefined ? { expectedMs: ms } : {}) };
  });
}

export function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The eligible rigs (market/candidates.ts eligibleRigs, cheapest first) with their speeds, in the order the
 * client asked for: unchanged for `price`, bySpeed for `speed`.
 */
export async function rankFor<T extends Timed & { rigId: string }>(
  q: Queryable,
  config: SpeedConfig,
  req: { model: string; maxTokens: number; priority?: Priority },
  eligible: readonly T[],
): Promise<Array<T & { speed: RigSpeed; expectedMs?: number }>> {
  const timed = await withSpeeds(q, config, req.model, req.maxTokens, eligible);
  return req.priority === 'speed' ? bySpeed(timed) : timed;
}
