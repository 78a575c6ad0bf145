// The client's own check of the confidential tier: before it seals a `min_trust: tdx` job, it fetches the
// operator's policy (and checks the operator's signature with the key it was configured with) and each
// candidate's evidence, and verifies every quote itself against the keys it is about to seal to. A candidate
// that fails is left out of the envelope, whatever the proxy said of it; with none left the job is refused.
// The verifier is imported on first use, so the Mini App loads it as a separate chunk only when asked.
import { fromBase64, toHex } from '../bytes';
import type { Candidate, RigEvidenceView } from '../contract';
import type { CollateralCache, QuoteVerifierLike } from './index';
import { type AttestationPolicy, checkPolicyFreshness, isOlderPolicy, openSignedPolicy } from './policy';

export interface ClientAttestationOptions {
  /** The operator's policy key (Ed25519 public key), configured out of band: the proxy can't swap it. */
  operatorKey: Uint8Array;
  /** Intel's root by default; tests pass a verifier with a test root. */
  verifier?: QuoteVerifierLike;
  /** Fetch collateral from this PCCS instead of taking the proxy's copy (both are signed by Intel). */
  pccsUrl?: string;
  /** Refuse a policy issued longer ago than this (MAX_POLICY_AGE_MS by default; Infinity: never). */
  maxPolicyAgeMs?: number;
  /** Where the newest accepted policy is remembered: this process's memory by default (tests pass their own). */
  policyMemory?: PolicyMemory;
  now?: () => number;
}

export interface CandidateRefusal {
  rigId: string;
  reason: string;
}

/**
 * The newest policy accepted under each operator key. One per process by default, shared by every client
 * in it: the bot makes a client per user, and each must refuse what any of them has seen superseded.
 */
export class PolicyMemory {
  /** Operator keys are configured, not sent by peers; the bound is only so nothing here grows unchecked. */
  private static readonly MAX_KEYS = 64;
  private readonly newest = new Map<string, AttestationPolicy>();

  get(operatorKey: Uint8Array): AttestationPolicy | undefined {
    return this.newest.get(toHex(operatorKey));
  }

  /** Keeps `p` when it is newer than what is kept for the key. */
  remember(operatorKey: Uint8Array, p: AttestationPolicy): void {
    const key = toHex(operatorKey);
    const kept = this.newest.get(key);
    if (kept && !isOlderPolicy(kept, p)) return;
    this.newest.delete(key);
    if (this.newest.size >= PolicyMemory.MAX_KEYS) this.newest.delete(this.newest.keys().next().value!);
    this.newest.set(key, p);
  }
}

const processMemory = new PolicyMemory();

const POLICY_TTL_MS = 10 * 60_000;
/**
 * How long a candidate this client verified stays verified for the same keys without a new check: the
 * quote binds those keys to the TD, so within a minute only a platform revoked since could differ (the
 * proxy's own refresh catches that). Saves the evidence fetch and the quote check on every request.
 */
const VERIFIED_TTL_MS = 60_000;
const MAX_VERIFIED = 1000;

export function createAttestationChecker(
  opts: ClientAttestationOptions,
  fetchPolicy: () => Promise<unknown>,
  fetchEvidence: (rigId: string) => Promise<RigEvidenceView>,
) {
  const now = opts.now ?? Date.now;
  let policy: { value: Promise<AttestationPolicy>; until: number } | undefined;
  /**
   * The newest policy accepted under the operator key, here or by another client of this process: anything
   * older, even one the operator really signed, is refused, so a proxy can't roll clients back to a laxer one.
   */
  const memory = opts.policyMemory ?? processMemory;
  let pccs: CollateralCache | undefined;
  /** Candidates verified lately, by rig id, keys and policy: when the check passed. */
  const verified = new Map<string, number>();
  const verifiedKey = (c: Candidate, p: AttestationPolicy) =>
    `${c.rigId}|${c.x25519PublicKey}|${c.ed25519PublicKey}|${p.sequence ?? 0}|${p.issuedAt}`;

  /** A policy whose signature checked out, if it is not older than the newest seen nor past its age. */
  function admit(p: AttestationPolicy): AttestationPolicy {
    checkPolicyFreshness(p, memory.get(opts.operatorKey), now(), opts.maxPolicyAgeMs);
    memory.remember(opts.operatorKey, p);
    return p;
  }

  function currentPolicy(): Promise<AttestationPolicy> {
    if (!policy || policy.until <= now()) {
      const value = fetchPolicy().then((served) => admit(openSignedPolicy(served, opts.operatorKey)));
      policy = { value, until: now() + POLICY_TTL_MS };
      value.catch(() => {
        policy = undefined;
      });
    }
    return policy.value;
  }

  async function checkOne(
    c: Candidate,
    p: AttestationPolicy,
    lib: typeof import('./index'),
  ): Promise<CandidateRefusal | null> {
    const key = verifiedKey(c, p);
    const at = verified.get(key);
    if (at !== undefined && now() - at < VERIFIED_TTL_MS) return null;
    const refusal = await checkAfresh(c, p, lib);
    if (refusal) verified.delete(key);
    else {
      if (verified.size >= MAX_VERIFIED) verified.clear();
      verified.set(key, now());
    }
    return refusal;
  }

  async function checkAfresh(
    c: Candidate,
    p: AttestationPolicy,
    lib: typeof import('./index'),
  ): Promise<CandidateRefusal | null> {
    let evidence: RigEvidenceView;
    try {
      evidence = await fetchEvidence(c.rigId);
    } catch (err) {
      return { rigId: c.rigId, reason: `its evidence could not be fetched: ${(err as Error).message}` };
    }
    if (!evidence.quote || !evidence.challenge) return { rigId: c.rigId, reason: 'it has sent no quote' };
    const quote = fromBase64(evidence.quote);
    let collateral = evidence.collateral;
    try {
      if (opts.pccsUrl) {
        pccs ??= new lib.CollateralCache(lib.pccsFetcher(opts.pccsUrl), now);
        collateral = await pccs.forQuote(quote);
      }
    } catch (err) {
      return { rigId: c.rigId, reason: `no collateral: ${(err as Error).message}` };
    }
    if (!collateral) return { rigId: c.rigId, reason: 'the proxy has no collateral for its quote' };
    // The keys checked are the quote's candidate keys, the ones this job is sealed to.
    const v = lib.verifyTdxEvidence({
      quote,
      challenge: fromBase64(evidence.challenge),
      x25519PublicKey: fromBase64(c.x25519PublicKey),
      ed25519PublicKey: fromBase64(c.ed25519PublicKey),
      collateral,
      policy: p,
      nowSecs: now() / 1000,
      verifier: opts.verifier,
    });
    return v.ok ? null : { rigId: c.rigId, reason: `${v.code}: ${v.reason}` };
  }

  return {
    /** The candidates whose evidence this client verified itself, and why each other one was refused. */
    async check(candidates: Candidate[]): Promise<{ kept: Candidate[]; refused: CandidateRefusal[] }> {
      const [p, lib] = await Promise.all([currentPolicy(), import('./index')]);
      const verdicts = await Promise.all(candidates.map((c) => checkOne(c, p, lib)));
      return {
        kept: candidates.filter((_, i) => verdicts[i] === null),
        refused: verdicts.filter((v): v is CandidateRefusal => v !== null),
      };
    },
  };
}
