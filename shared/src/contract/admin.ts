// Operator routes (ADMIN_KEY): deposits nobody could be credited for, and the proxy's metrics.
import { z } from 'zod';
import { nanoString } from '../schemas/common';
import { getRoute, isoTime } from './route';

export const unclaimedDeposits = z.strictObject({
  totalNano: nanoString,
  deposits: z.array(
    z.strictObject({
      txKey: z.string(),
      amountNano: nanoString,
      from: z.string(),
      comment: z.string().nullable(),
      createdAt: isoTime,
    }),
  ),
});
export type UnclaimedDeposits = z.infer<typeof unclaimedDeposits>;

export const adminRoutes = {
  unclaimed: getRoute('/v1/admin/unclaimed', unclaimedDeposits),
} as const;

/**
 * The proxy's metrics for Prometheus (ADMIN_KEY): text/plain in the Prometheus exposition format, not JSON,
 * so outside the contract's routes (see NON_CONTRACT_ROUTES). The series are listed in docs/metrics.md.
 */
export const METRICS_PATH = '/metrics';
