// The proxy's custodial withdrawals: the minimum, the fee, and the amount past which a fresh ton_proof is
// needed. Merged by config.ts into the proxy's one config.
import { envNano } from '@cocoon/shared';
import { z } from 'zod';

export const custodialEnv = z.object({
  MIN_WITHDRAWAL_NANO: envNano.default(100_000_000n),
  WITHDRAWAL_FEE_NANO: envNano.default(10_000_000n),
  /** Withdrawals above this need a fresh ton_proof from the bound wallet (reconnect it). */
  WITHDRAWAL_PROOF_ABOVE_NANO: envNano.default(10_000_000_000n),
});
