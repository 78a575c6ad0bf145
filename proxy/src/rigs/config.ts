// The proxy's rigs: the model catalogue, asks, cool-downs after failures and the operator's own rigs. Merged
// by config.ts into the proxy's one config.
import { envInt, envList, envNano } from '@cocoon/shared';
import { z } from 'zod';

export const rigsEnv = z.object({
  /**
   * The model catalogue, a JSON file the operator keeps (proxy/src/rigs/catalogue.ts): each model name's
   * digest, kinds, context and grade. Read at start. Unset: an empty catalogue, so outside local mode no
   * model is served; in local mode uncatalogued models are accepted.
   */
  MODEL_CATALOGUE: z.string().min(1).optional(),
  DEFAULT_ASK_NANO_PER_1K: envNano.default(1_000_000n),
  /** The highest ask a rig may post, per 1,000 tokens (1 TON: a thousand times the default ask). */
  MAX_ASK_NANO_PER_1K: envNano.default(1_000_000_000n),
  /** A rig that loses this many jobs in a row (fails, stalls, disconnects) gets no quotes for RIG_COOLDOWN_MS. */
  RIG_COOLDOWN_AFTER_FAILURES: envInt(3),
  RIG_COOLDOWN_MS: envInt(600_000, { min: 0 }),
  /**
   * Users (ids, comma-separated) whose rigs are the operator's own: exempt from probation and bonds, and
   * shown as such. `npm start` names its local owner.
   */
  OPERATOR_OWNER_IDS: envList('').pipe(
    z.array(z.string().regex(/^\d{1,20}$/, 'must be user ids (digits), comma-separated')).max(100),
  ),
});
