// The proxy's TON chain: which network, its HTTP API, and the service wallet. Merged by config.ts
// into the proxy's one config.
import { z } from 'zod';

export const chainEnv = z.object({
  TON_NETWORK: z.enum(['sandbox', 'testnet', 'mainnet']).default('sandbox'),
  /** The TON HTTP API v2 endpoint of TON_NETWORK (https://testnet.toncenter.com/api/v2 on testnet). */
  TONCENTER_URL: z.string().url().optional(),
  TONCENTER_API_KEY: z.string().optional(),
  SERVICE_WALLET_MNEMONIC: z.string().optional(),
});
