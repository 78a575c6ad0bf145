// The proxy's ledger: the trial credit each new user gets. Merged by config.ts into the proxy's one config.
import { envNano } from '@cocoon/shared';
import { z } from 'zod';

export const ledgerEnv = z.object({
  TRIAL_CREDIT_NANO: envNano.default(500_000_000n),
});
