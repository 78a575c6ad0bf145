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
import { speedFigures } from './repository';

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
  const r = await speedFigures(
    q,
    config.SPEED_WINDOW_MS,
    filter.models ?? null,
    filter.rigIds ?? null,
    config.SPEED_SAMPLE_JOBS,
  );
  return new Map(
    r.map((row) => [
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
