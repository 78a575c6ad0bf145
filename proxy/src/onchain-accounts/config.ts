// The proxy's on-chain accounts: on or off, the operator key, the close delay, the claim threshold, the
// vault's stake and the ledger commit interval. Merged by config.ts into the proxy's one config.
import { envBool, envInt, envNano } from '@cocoon/shared';
import { z } from 'zod';

export const onchainAccountsEnv = z.object({
  /**
   * On-chain accounts (proxy/src/onchain-accounts, docs/on-chain-accounts.md): a wallet holder's money in a contract of
   * their own, spent only by vouchers their spend key signs. On by default on the sandbox chain. The vault is
   * deployed from the service wallet with ONCHAIN_STAKE_NANO; OPERATOR_KEY (base64 of a 32-byte Ed25519
   * seed, its own secret) signs rig owners' earnings vouchers; the sandbox makes one under DATA_DIR.
   */
  ONCHAIN_ACCOUNTS: envBool.optional(),
  OPERATOR_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be a 32-byte Ed25519 seed in base64')
    .optional(),
  ONCHAIN_CLOSE_DELAY_S: envInt(86_400, { min: 1, max: 30 * 86_400 }),
  ONCHAIN_CLAIM_THRESHOLD_NANO: envNano.default(1_000_000_000n),
  ONCHAIN_STAKE_NANO: envNano.default(10_000_000_000n),
  /** How often the ledger's hash is committed to the vault (when it changed): a rolled-back database is caught. */
  ONCHAIN_COMMIT_MS: envInt(3_600_000, { min: 60_000 }),
});
