// The proxy's audits: how many jobs are audited, probation, the audit deadline and the penalty for a rig
// proven wrong. Merged by config.ts into the proxy's one config.
import { envInt, envNano } from '@cocoon/shared';
import { z } from 'zod';

export const auditsEnv = z.object({
  /** Share of finished jobs past probation that another candidate audits (audits/service.ts). */
  AUDIT_RATE: z.coerce.number().min(0).max(1).default(0.05),
  /** A rig's first jobs are all audited (probation). */
  AUDIT_PROBATION_JOBS: envInt(20, { min: 0 }),
  /** An audit without a verdict by then is dropped (the job counts as unaudited). */
  AUDIT_TIMEOUT_MS: envInt(120_000),
  /** Taken from the owner of a rig proven wrong, on top of the refunds, into the platform's fee account. */
  AUDIT_PENALTY_NANO: envNano.default(100_000_000n),
});
