// The public price board and the model list (OpenAI's format).
import { z } from 'zod';
import { device, digestPrefix, jobKind, modelId, nanoString } from '../schemas/common';
import { trustTier } from './attestation';
import { getRoute, isoTime } from './route';

/**
 * A rig's measured speed for a model (the proxy's clock over its recent settled jobs paid by others than its
 * owner): median milliseconds from the claim to the first output, median completion tokens per second after
 * it, and the jobs measured. Null figures: not measured yet (a summarizer's output comes at once: no decode speed).
 */
export const rigSpeed = z.strictObject({
  firstTokenMs: z.number().int().nonnegative().nullable(),
  tokensPerS: z.number().nonnegative().nullable(),
  jobs: z.number().int().nonnegative(),
});
export type RigSpeed = z.infer<typeof rigSpeed>;

/** Which candidate a job goes to first: the cheapest ask (default) or the soonest expected result. */
export const marketPriority = z.enum(['price', 'speed'], { error: 'must be "price" or "speed"' });
export type MarketPriority = z.infer<typeof marketPriority>;

export const marketView = z.strictObject({
  feeBps: z.number().int().nonnegative(),
  models: z
    .array(
      z.strictObject({
        model: modelId,
        demoGrade: z.boolean(),
        /** The first digits of the model's digest (the catalogue's, or what the rigs report); null: none known. */
        digest: digestPrefix.nullable(),
        /** The ask ladder: per trust tier (open, then tdx), cheapest first. */
        asks: z
          .array(
            z.strictObject({
              tier: trustTier,
              priceNanoPer1k: nanoString,
              rigs: z.number().int().nonnegative(),
              freeSlots: z.number().int().nonnegative(),
              /**
               * The rigs at this ask by standing: the operator's own; in probation (every job audited); bonded for
               * their unaudited work; capped (their unaudited work reached their bond: no jobs until an audit
               * passes); quarantined by an audit.
               */
              standing: z.strictObject({
                operator: z.number().int().nonnegative(),
                probation: z.number().int().nonnegative(),
                bonded: z.number().int().nonnegative(),
                capped: z.number().int().nonnegative(),
                quarantined: z.number().int().nonnegative(),
              }),
            }),
          )
          .max(50),
        recentFills: z
          .array(
            z.strictObject({
              priceNanoPer1k: nanoString,
              tokens: z.number().int().nonnegative(),
              at: isoTime,
            }),
          )
          .max(20),
        median24hNanoPer1k: nanoString.nullable(),
        /** Each online rig's ask and measured speed, cheapest first (then fastest); absent from older proxies. */
        rigs: z
          .array(
            z.strictObject({
              tier: trustTier,
              priceNanoPer1k: nanoString,
              device: device.nullable(),
              speed: rigSpeed,
            }),
          )
          .max(50)
          .optional(),
      }),
    )
    .max(200),
});
export type MarketView = z.infer<typeof marketView>;

export const modelList = z.strictObject({
  object: z.literal('list'),
  data: z
    .array(
      z.strictObject({
        id: modelId,
        object: z.literal('model'),
        owned_by: z.string(),
        demo_grade: z.boolean(),
        /** The first digits of the model's content digest; null when no rig reported one. */
        digest: digestPrefix.nullable(),
        /** The job kinds rigs serve the model for (summarize, generate, chat); absent from older proxies. */
        kinds: z.array(jobKind).optional(),
      }),
    )
    .max(200),
});
export type ModelList = z.infer<typeof modelList>;

export const marketRoutes = {
  market: getRoute('/v1/market', marketView),
  models: getRoute('/v1/models', modelList),
} as const;
