// The public price board: per model, the ask ladder per trust tier with capacity, each rig's ask and measured
// speed (market/speed.ts), recent fills and the 24-hour median.
import { DIGEST_PREFIX_LENGTH, type JobKind, jobKind, type MarketView } from '@cocoon/shared';
import { STANDINGS, type Standing } from '../bonds/bonds';
import type { bondedSql } from '../bonds/repository';
import type { Config } from '../config';
import type { Queryable } from '../db';
import { askLadder, medianPrices24h, onlineAsks, recentFills, servedKinds, servedModels } from './repository';
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
  const asks = await askLadder(q, config);
  const fills = await recentFills(q);
  const medians = await medianPrices24h(q);
  const rigs = await boardRigs(q, config);
  const models = [...new Set([...asks.map((a) => a.model), ...fills.map((f) => f.model)])]
    .sort()
    .slice(0, BOARD_MAX_MODELS);
  return {
    feeBps,
    models: models.map((model) => ({
      model,
      demoGrade: asks.some((a) => a.model === model && a.demo),
      digest: prefix(asks.find((a) => a.model === model && a.digest)?.digest ?? null),
      asks: asks
        .filter((a) => a.model === model)
        .slice(0, BOARD_MAX_ASKS_PER_MODEL)
        .map((a) => ({
          tier: a.tier,
          priceNanoPer1k: a.price,
          rigs: Number(a.rigs),
          freeSlots: Number(a.free),
          standing: Object.fromEntries(STANDINGS.map((s) => [s, Number(a[s])])) as Record<Standing, number>,
        })),
      recentFills: fills
        .filter((f) => f.model === model)
        .map((f) => ({ priceNanoPer1k: f.price, tokens: f.tokens, at: new Date(f.at).toISOString() })),
      median24hNanoPer1k: medians.find((m) => m.model === model)?.median ?? null,
      rigs: rigs.get(model) ?? [],
    })),
  };
}

type BoardRig = NonNullable<MarketView['models'][number]['rigs']>[number];

/** Each online rig's ask and measured speed per model (market/speed.ts), cheapest first, then fastest. */
async function boardRigs(q: Queryable, config: SpeedConfig): Promise<Map<string, BoardRig[]>> {
  const r = await onlineAsks(q);
  const speeds = await rigSpeeds(q, config, { rigIds: [...new Set(r.map((row) => row.rig_id))] });
  const byModel = new Map<string, BoardRig[]>();
  for (const row of r) {
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
  const r = await servedModels(q, BOARD_MAX_MODELS);
  // The job kinds each model is served for (a client maps a request to a kind the model takes).
  const k = await servedKinds(q);
  const kinds = new Map<string, JobKind[]>();
  for (const row of k) {
    const parsed = jobKind.safeParse(row.kind);
    if (!parsed.success) continue;
    kinds.set(row.model, [...(kinds.get(row.model) ?? []), parsed.data]);
  }
  return {
    object: 'list' as const,
    data: r.map((m) => ({
      id: m.model,
      object: 'model' as const,
      owned_by: 'cocoon',
      demo_grade: m.demo,
      digest: prefix(m.digest),
      kinds: kinds.get(m.model) ?? [],
    })),
  };
}
