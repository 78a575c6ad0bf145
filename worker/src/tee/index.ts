// The rig's trusted execution environment, from `--tee auto|tdx|none`: `tdx` sends the proxy a TD quote over
// the rig's keys and each challenge it is given (configfs-tsm.ts), `none` sends nothing and the rig is in the
// open tier. `auto` picks TDX when configfs-tsm offers it, and says which in one log line.
import { type RigEvidence, tdxReportData, toBase64 } from '@cocoon/shared';
import type { RigKeys } from '../keys';
import { DEFAULT_TSM_DIR, detectTdx, tdxQuote } from './configfs-tsm';

export type TeeChoice = 'auto' | 'tdx' | 'none';
export const TEE_CHOICES = ['auto', 'tdx', 'none'] as const;

export interface Tee {
  kind: 'none' | 'tdx';
  /** Evidence for a challenge: a quote binding the rig's keys and it, or why there is none. */
  evidence(challenge: Uint8Array): Promise<RigEvidence>;
}

export const NO_TEE: Tee = {
  kind: 'none',
  evidence: async () => ({ kind: 'none', reason: 'the rig runs without a TEE' }),
};

export async function resolveTee(
  choice: TeeChoice,
  keys: RigKeys,
  opts: { tsmDir?: string; log: (message: string) => void },
): Promise<Tee> {
  if (choice === 'none') return NO_TEE;
  const root = opts.tsmDir ?? DEFAULT_TSM_DIR;
  const found = await detectTdx(root);
  if (!found.tdx) {
    if (choice === 'tdx')
      throw new Error(`--tee tdx, but ${found.why}; run inside a TDX guest or use --tee none`);
    opts.log(`no TDX here (${found.why}): open tier`);
    return NO_TEE;
  }
  opts.log(`TDX guest (${found.why}): quotes go to the proxy; models run on CPU inside the TD`);
  return {
    kind: 'tdx',
    async evidence(challenge) {
      try {
        const reportData = tdxReportData({
          x25519PublicKey: keys.x25519.publicKey,
          ed25519PublicKey: keys.ed25519.publicKey,
          challenge,
        });
        const quote = await tdxQuote(reportData, root);
        return { kind: 'tdx', quote: toBase64(quote), challenge: toBase64(challenge) };
      } catch (err) {
        return { kind: 'none', reason: `no quote: ${(err as Error).message}`.slice(0, 500) };
      }
    },
  };
}
