// The confidential tier at the proxy: a rig that says it runs in TDX gets a challenge in its welcome (and a
// fresh one on a schedule), answers with a quote over its keys and that challenge, and is put in the `tdx`
// tier only if the quote verifies against Intel's chain, the collateral from the PCCS and the operator's
// signed policy. Anything else keeps it in the open tier, with the reason on its Rigs page. The proxy's
// verdict only decides whom it offers; clients that ask for `tdx` check the evidence again themselves.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  type AttestationPolicy,
  CHALLENGE_BYTES,
  fromBase64,
  openSignedPolicy,
  type RigEvidence,
  type RigEvidenceView,
  type SignedPolicy,
  signedPolicy as signedPolicySchema,
  toBase64,
} from '@cocoon/shared';
import {
  CollateralCache,
  EvidenceError,
  intelQuoteVerifier,
  parseTdxQuote,
  pccsFetcher,
  type QuoteVerifierLike,
  verifyTdxEvidence,
} from '@cocoon/shared/attestation';
import type { Logger } from '@cocoon/shared/node';
import type { Config } from '../config';
import type { Db } from '../db';
import { rigEvidenceRow, setRigTrust } from './repository';
import { type StoredEvidence, trustView } from './trust-view';

export interface AttestationOptions {
  /** Verifies quotes: Intel's root unless a test passes its own (the test root never comes from config). */
  verifier?: QuoteVerifierLike;
  /** Where collateral comes from: the PCCS at PCCS_URL unless a test passes its own cache. */
  collateral?: CollateralCache;
}

/** The operator's policy as configured: the signed file and what it says. Read at start; a bad file stops it. */
export interface LoadedPolicy {
  signed: SignedPolicy;
  policy: AttestationPolicy;
}

export function loadAttestationPolicy(
  config: Pick<Config, 'ATTESTATION_POLICY_FILE' | 'ATTESTATION_POLICY_KEY'>,
): LoadedPolicy | null {
  if (!config.ATTESTATION_POLICY_FILE) return null;
  const signed = readPolicyFile(config.ATTESTATION_POLICY_FILE);
  // With ATTESTATION_POLICY_KEY the file must be signed by that key; without it, by the key it names.
  const key = fromBase64(config.ATTESTATION_POLICY_KEY ?? signed.publicKey);
  try {
    return { signed, policy: openSignedPolicy(signed, key) };
  } catch (err) {
    throw new Error(`ATTESTATION_POLICY_FILE: ${(err as Error).message}`);
  }
}

export class AttestationService {
  readonly signed: SignedPolicy | null;
  readonly policy: AttestationPolicy | null;
  private readonly verifier: QuoteVerifierLike;
  private readonly collateral: CollateralCache | null;

  constructor(
    private readonly db: Db,
    loaded: LoadedPolicy | null,
    config: Pick<Config, 'PCCS_URL'>,
    private readonly log: Logger,
    opts: AttestationOptions = {},
  ) {
    this.signed = loaded?.signed ?? null;
    this.policy = loaded?.policy ?? null;
    this.verifier = opts.verifier ?? intelQuoteVerifier;
    this.collateral =
      opts.collateral ?? (config.PCCS_URL ? new CollateralCache(pccsFetcher(config.PCCS_URL)) : null);
  }

  newChallenge(): Uint8Array {
    return randomBytes(CHALLENGE_BYTES);
  }

  /**
   * Checks what a rig sent against the challenge its socket was last given, and stores the outcome: the
   * `tdx` tier when it verifies, the open tier with the reason otherwise. Never throws for bad evidence.
   */
  async check(
    rig: { id: string; x25519PublicKey: string; ed25519PublicKey: string; device: string },
    evidence: RigEvidence,
    challenge: Uint8Array | null,
  ): Promise<StoredEvidence & { tier: 'open' | 'tdx' }> {
    const outcome = await this.judge(rig, evidence, challenge);
    await setRigTrust(this.db, rig.id, outcome.tier, { ...outcome, tier: undefined });
    if (outcome.tier === 'tdx') this.log.info({ rigId: rig.id, image: outcome.image }, 'rig verified as TDX');
    else
      this.log.warn(
        { rigId: rig.id, code: outcome.code, reason: outcome.reason },
        'rig TDX evidence refused',
      );
    return outcome;
  }

  private async judge(
    rig: { x25519PublicKey: string; ed25519PublicKey: string; device: string },
    evidence: RigEvidence,
    challenge: Uint8Array | null,
  ): Promise<StoredEvidence & { tier: 'open' | 'tdx' }> {
    const open = (code: string, reason: string, more: Partial<StoredEvidence> = {}) => ({
      tier: 'open' as const,
      code,
      reason,
      tcbStatus: null,
      image: null,
      measurements: null,
      quote: null,
      challenge: null,
      ...more,
    });
    if (evidence.kind === 'none') return open('no_quote', `the rig sent no quote: ${evidence.reason}`);
    const kept = { quote: evidence.quote, challenge: evidence.challenge };
    if (!challenge || evidence.challenge !== toBase64(challenge))
      return open('stale_challenge', 'the quote answers an old challenge, not the latest one', kept);
    if (rig.device !== 'cpu')
      return open(
        'gpu',
        'the rig runs its models on a GPU, outside the TD: only CPU inference inside the TD is in the tier',
        kept,
      );
    if (!this.policy)
      return open(
        'no_policy',
        'this network publishes no attestation policy (ATTESTATION_POLICY_FILE)',
        kept,
      );
    if (!this.collateral) return open('no_pccs', 'this proxy has no PCCS to fetch collateral from', kept);
    const quote = fromBase64(evidence.quote);
    try {
      parseTdxQuote(quote);
    } catch (err) {
      if (err instanceof EvidenceError) return open(err.code, err.message, kept);
      throw err;
    }
    let collateral: Awaited<ReturnType<CollateralCache['forQuote']>>;
    try {
      collateral = await this.collateral.forQuote(quote);
    } catch (err) {
      return open('collateral', `no collateral for the quote: ${(err as Error).message}`, kept);
    }
    const v = verifyTdxEvidence({
      quote,
      challenge,
      x25519PublicKey: fromBase64(rig.x25519PublicKey),
      ed25519PublicKey: fromBase64(rig.ed25519PublicKey),
      collateral,
      policy: this.policy,
      nowSecs: Date.now() / 1000,
      verifier: this.verifier,
    });
    if (!v.ok)
      return open(v.code, v.reason, {
        ...kept,
        tcbStatus: v.tcbStatus ?? null,
        measurements: v.measurements ?? null,
      });
    return {
      tier: 'tdx',
      code: null,
      reason: null,
      tcbStatus: v.tcbStatus,
      image: v.image,
      measurements: v.measurements,
      ...kept,
    };
  }

  /** A rig's evidence as anyone may fetch it, with the collateral to check it by. */
  async evidenceView(rigId: string): Promise<RigEvidenceView | undefined> {
    const r = await rigEvidenceRow(this.db, rigId);
    const row = r;
    if (!row?.x25519_public_key || !row.ed25519_public_key) return undefined;
    const stored = row.evidence as StoredEvidence | null;
    let collateral = null;
    if (stored?.quote && this.collateral) {
      collateral = await this.collateral.forQuote(fromBase64(stored.quote)).catch(() => null);
    }
    return {
      rigId: row.id,
      trust: trustView(row),
      x25519PublicKey: row.x25519_public_key,
      ed25519PublicKey: row.ed25519_public_key,
      quote: stored?.quote ?? null,
      challenge: stored?.challenge ?? null,
      collateral,
    };
  }

  /** "model:digest" pairs a confidential rig may serve in the tier; null: the policy names no models. */
  allowedModelDigests(): string[] | null {
    if (!this.policy?.models) return null;
    return Object.entries(this.policy.models).flatMap(([model, digests]) =>
      digests.map((d) => `${model}:${d}`),
    );
  }
}

function readPolicyFile(path: string): SignedPolicy {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`ATTESTATION_POLICY_FILE: can't read ${path}: ${(err as Error).message}`);
  }
  const p = signedPolicySchema.safeParse(json);
  if (!p.success)
    throw new Error(
      `ATTESTATION_POLICY_FILE: ${path} is not a signed policy (make it with npm run policy -- sign)`,
    );
  return p.data;
}
