// The proxy's bonds: what a rig needs at stake past probation, and how long a bond stays after its owner asks
// for it back. Merged by config.ts into the proxy's one config.
import { envInt, envNano } from '@cocoon/shared';
import { z } from 'zod';

export const bondsEnv = z.object({
  /**
   * The bond a rig needs past probation (bonds/bonds.ts): its unaudited work is capped by it, and a rig
   * proven wrong pays its victims back from it first. 0 turns bonds off.
   */
  BOND_NANO: envNano.default(1_000_000_000n),
  /** How long a bond stays after its owner asks for it back (with no open audit at the end). */
  BOND_COOLING_OFF_MS: envInt(7 * 24 * 3600 * 1000, { min: 0 }),
});
