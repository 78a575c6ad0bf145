// Telegram Stars (proxy/src/stars/): the rate, the packs, the daily cap, the refund window and the hold on rig
// earnings from Stars-paid jobs. Merged by config.ts into the proxy's one config.
import { envInt, envList, envNano } from '@cocoon/shared';
import { z } from 'zod';

export const starsEnv = z.object({
  /**
   * Telegram Stars (proxy/src/stars/): what one Star buys, in nanoTON of compute credit (kept with each
   * purchase). Bounded so that a typo (a TON amount, a missing zero) can't sell credit at a silly rate.
   */
  STARS_NANOTON_PER_STAR: envNano
    .default(4_000_000n)
    .refine((n) => n >= 1_000n && n <= 1_000_000_000n, 'must be between 1000 and 1000000000 (1 TON) nanoTON'),
  /** The packs on offer, in Stars, comma-separated (Telegram allows 1 to 10,000 Stars per invoice). */
  STARS_PACKS: envList('50,250,1000').pipe(
    z
      .array(
        z
          .string()
          .regex(/^\d{1,6}$/, 'must be whole numbers of Stars')
          .transform(Number)
          .pipe(
            z
              .number()
              .int()
              .min(1, 'must be at least 1 Star each')
              .max(10_000, 'must be at most 10000 Stars each (Telegram: per invoice)'),
          ),
      )
      .min(1, 'name at least one pack')
      .max(10, 'at most 10 packs')
      .refine((a) => new Set(a).size === a.length, 'must not repeat a pack'),
  ),
  /** The most Stars one user may pay in a UTC day (checked at pre-checkout). */
  STARS_DAILY_CAP: envInt(5_000, { min: 0, max: 1_000_000 }),
  /** How long after paying the buyer may have a wholly unspent purchase refunded (default 7 days). */
  STARS_REFUND_WINDOW_MS: envInt(7 * 86_400_000, { min: 0, max: 90 * 86_400_000 }),
  /**
   * How long rig earnings from Stars-paid jobs are held before they become withdrawable (default 21 days:
   * Telegram holds Stars revenue that long before it can be converted).
   */
  STARS_EARNINGS_HOLD_MS: envInt(21 * 86_400_000, { min: 0, max: 365 * 86_400_000 }),
});
