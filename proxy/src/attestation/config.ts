// The proxy's confidential tier: the operator's attestation policy, its key, the PCCS and the refresh
// interval. Merged by config.ts into the proxy's one config.
import { envInt } from '@cocoon/shared';
import { z } from 'zod';

export const attestationEnv = z.object({
  /**
   * The confidential tier (proxy/src/attestation): the operator's signed attestation policy (a file made by
   * `npm run policy -- sign`), the operator's public key it must be signed with, the PCCS that serves Intel's
   * collateral, and how often a TDX rig is asked for a fresh quote. No policy or no PCCS: every rig is in the
   * open tier, and says why on its Rigs page.
   */
  ATTESTATION_POLICY_FILE: z.string().min(1).optional(),
  ATTESTATION_POLICY_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be an Ed25519 public key in base64 (32 bytes)')
    .optional(),
  PCCS_URL: z.string().url().optional(),
  ATTESTATION_REFRESH_MS: envInt(3_600_000, { min: 1000 }),
});
