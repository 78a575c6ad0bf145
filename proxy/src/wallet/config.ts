// The proxy's wallet binding: the delay of a wallet change without the old wallet's proof, and the hosts a
// ton_proof may name. Merged by config.ts into the proxy's one config.
import { envInt } from '@cocoon/shared';
import { z } from 'zod';

export const walletEnv = z.object({
  /** A wallet change without a proof from the old wallet takes effect after this many seconds. */
  WALLET_CHANGE_DELAY_S: envInt(86_400, { min: 0, max: 30 * 86_400 }),
  /** Hosts a wallet's ton_proof may name (the Mini App's), besides PUBLIC_URL's; Vite's dev server by default. */
  TON_PROOF_DOMAINS: z.string().default('localhost,127.0.0.1,localhost:5173,127.0.0.1:5173'),
});
