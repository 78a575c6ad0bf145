// The proxy's market: how far a quote's candidates may ask above the cheapest, and how speed is measured.
// Merged by config.ts into the proxy's one config.
import { envInt } from '@cocoon/shared';
import { z } from 'zod';

export const marketEnv = z.object({
  /**
   * A quote's candidates ask at most this multiple of the cheapest eligible ask (or of the default ask, if
   * the cheapest is below it), and the hold is for the highest of them: an outlier ask can't inflate it.
   */
  HOLD_ASK_MULTIPLE: envInt(3, { min: 1, max: 100 }),
  /**
   * Speed on the market (market/speed.ts): a rig's time to first token and decode speed per model are the
   * medians over its last SPEED_SAMPLE_JOBS payers (each payer one vote: the median of its own last
   * SPEED_SAMPLE_JOBS settled jobs) of that model within SPEED_WINDOW_MS, counting only jobs paid by other
   * users than the rig's owner (all trial-credit payers together one vote).
   */
  SPEED_SAMPLE_JOBS: envInt(20, { min: 1, max: 500 }),
  SPEED_WINDOW_MS: envInt(7 * 86_400_000),
});
