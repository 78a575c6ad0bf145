// The public price board: per model, the ask ladder per trust tier with capacity, each rig's ask and measured
// speed (market/speed.ts), recent fills and the 24-hour median.
import {
  type Device,
  DIGEST_PREFIX_LENGTH,
  type JobKind,
  jobKind,
  type MarketView,
  type TrustTier,
} from '@cocoon/shared';
import { type bondedSql, STANDINGS, type Standing, standingSql } from '../bonds/bonds';
import type { Config } from '../config';
import type { Queryable } from '../db';
import { compareBig, rigSpeeds, type SpeedConfig, speedKey, UNMEASURED } from './speed';

/**
 * What the public board and model list show at most: model names come from rigs (any name in local mode), so
 * an unauthenticated answer is bounded however many rigs say however many models.
 */
export const BOARD_MAX_MODELS = 200;
export const BOARD_MAX_ASKS_PER_MODEL = 50;

export async function priceBoard(
  q: Queryable,
  config: Pick<Config, 'FEE_BPS'> & Parameters<typeof bondedSql>[0] & SpeedConfig,
): Promise<MarketView> {
  const feeBps = config.FEE_BPS;
  // Each rig's standing (bonds/bonds.ts), counted per ask.
  const standing = standingSql(config);
  const asks = await q.query<
    {
      model: string;
      price: string;
      rigs: string;
      free: string;
      demo: boolean;
      digest: string | null;
      tier: TrustTier;
    } & Record<Standing, string>
  >(
    `SELECT rm.model, r.trust_tier AS tier, rm.price_nano_per_1k::text AS price, count(*)::text AS rigs, bool_or(rm.demo_grade) AS demo,
       min(rm.digest) AS digest,
       sum(GREATEST(r.slots - (SELECT count(*) FROM jobs j WHERE j.rig_id = r.id AND j.state = 'running'), 0))::text AS free,
       ${STANDINGS.map((s) => `count(*) FILTER (WHERE ${standing} = '${s}')::text AS ${s}`).join(', ')}
     FROM rigs r JOIN rig_models rm ON rm.rig_id = r.id
     WHERE rm.served AND r.connected_to IS NOT NULL AND NOT r.paused AND r.revoked_at IS NULL
     GROUP BY rm.model, r.trust_tier, rm.price_nano_per_1k ORDER BY rm.model, r.trust_tier, rm.price_nano_per_1k`,
  );
  const fills = await q.query<{ model: string; price: string; tokens: number; at: Date }>(
    `SELECT model, price::text, tokens, at FROM (
       SELECT model, price_nano_per_1k AS price, prompt_tokens + completion_tokens AS tokens, finished_at AS at,
         row_number() OVER (PARTITION BY model ORDER BY finished_at DESC) AS n
       FROM jobs WHERE state = 'done') f WHERE n <= 20 ORDER BY model, at DESC`,
  );
  const medians = await q.query<{ model: string; median: string | null }>(
    `SELECT model, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY price_nano_per_1k))::text AS median
     FROM jobs WHERE state = 'done' AND finished_at > now() - interval '24 hours' GROUP BY model`,
  );
  const rigs = await boardRigs(q, config);
  const models = [...new Set([...asks.rows.map((a) => a.model), ...fills.rows.map((f) => f.model)])]
    .sort()
    .slice(0, BOARD_MAX_MODELS);
  return {
    feeBps,
    models: models.map((model) => ({
      model,
      demoGrade: asks.rows.some((a) => a.model === model && a.demo),
      digest: prefix(asks.rows.find((a) => a.model === model && a.digest)?.digest ?? null),
      asks: asks.rows
        .filter((a) => a.model === model)
        .slice(0, BOARD_MAX_ASKS_PER_MODEL)
        .map((a) => ({
          tier: a.tier,
          priceNanoPer1k: a.price,
          rigs: Number(a.rigs),
          freeSlots: Number(a.free),
          standing: Object.fromEntries(STANDINGS.map((s) => [s, Number(a[s])])) as Record<Standing, number>,
        })),
      recentFills: fills.rows
        .filter((f) => f.model === model)
        .map((f) => ({ priceNanoPer1k: f.price, tokens: f.tokens, at: new Date(f.at).toISOString() })),
      median24hNanoPer1k: medians.rows.find((m) => m.model === model)?.median ?? null,
      rigs: rigs.get(model) ?? [],
    })),
  };
}

type BoardRig = NonNullable<MarketView['models'][number]['rigs']>[number];

/** Each online rig's ask and measured speed per model (market/speed.ts), cheapest first, then fastest. */
async function boardRigs(q: Queryable, config: SpeedConfig): Promise<Map<string, BoardRig[]>> {
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
  const speeds = await rigSpeeds(q, config, { rigIds: [...new Set(r.rows.map((row) => row.rig_id))] });
  const byModel = new Map<string, BoardRig[]>();
  for (const row of r.rows) {
    const list = byModel.get(row.model) ?? [];
    list.push({
      tier: row.tier,
      priceNanoPer1k: row.price,
      device: row.device,
      speed: speeds.get(speedKey(row.rig_id, row.model)) ?? UNMEASURED,
    });
    byModel.set(row.model, list);
  }
  for (const [model, list] of byModel) {
    list.sort(
      (a, b) =>
        compareBig(BigInt(a.priceNanoPer1k), BigInt(b.priceNanoPer1k)) ||
        (b.speed.tokensPerS ?? -1) - (a.speed.tokensPerS ?? -1),
    );
    byModel.set(model, list.slice(0, BOARD_MAX_ASKS_PER_MODEL));
  }
  return byModel;
}

function prefix(digest: string | null): string | null {
  return digest ? digest.slice(0, DIGEST_PREFIX_LENGTH) : null;
}

/**
 * Models that online rigs serve, in OpenAI's list format, with their digest's first digits (catalogued
 * models are served only by rigs with the catalogue's digest; in local mode an uncatalogued one shows one).
 */
export async function onlineModels(q: Queryable) {
  const r = await q.query<{ model: string; demo: boolean; digest: string | null }>(
    `SELECT rm.model, bool_or(rm.demo_grade) AS demo, min(rm.digest) AS digest FROM rigs r JOIN rig_models rm ON rm.rig_id = r.id
     WHERE rm.served AND r.connected_to IS NOT NULL AND NOT r.paused AND r.revoked_at IS NULL
     GROUP BY rm.model ORDER BY rm.model LIMIT ${BOARD_MAX_MODELS}`,
  );
  // The job kinds each model is served for (a client maps a request to a kind the model takes).
  const k = await q.query<{ model: string; kind: string }>(
    `SELECT DISTINCT rm.model, k AS kind FROM rigs r JOIN rig_models rm ON rm.rig_id = r.id, unnest(rm.kinds) AS k
     WHERE rm.served AND r.connected_to IS NOT NULL AND NOT r.paused AND r.revoked_at IS NULL
     ORDER BY rm.model, k`,
  );
  const kinds = new Map<string, JobKind[]>();
  for (const row of k.rows) {
    const parsed = jobKind.safeParse(row.kind);
    if (!parsed.success) continue;
    kinds.set(row.model, [...(kinds.get(row.model) ?? []), parsed.data]);
  }
  return {
    object: 'list' as const,
    data: r.rows.map((m) => ({
      id: m.model,
      object: 'model' as const,
      owned_by: 'cocoon',
      demo_grade: m.demo,
      digest: prefix(m.digest),
      kinds: kinds.get(m.model) ?? [],
    })),
  };
}
