// The attestation policy: which TDX evidence puts a rig in the confidential tier. The operator writes it and
// signs it with a key of its own (scripts/attestation-policy.ts); the proxy only serves the signed file. The
// gateway and the bot are configured with the operator's public key, so a proxy can't hand them a laxer
// policy. The signature covers the policy's exact text, so nobody has to agree on a canonical JSON.
import { z } from 'zod';
import { fromBase64, toBase64, toHex, utf8 } from '../bytes';
import { curves } from '../crypto/curves';
import { modelDigest, modelId } from '../schemas/common';

const hex48 = z
  .string()
  .regex(/^[0-9a-f]{96}$/, 'must be 48 bytes in lowercase hex')
  .describe('a TDX measurement register');

/** A measured worker VM image: its MRTD and RTMR0–3. An RTMR left out is not checked. */
export const measuredImage = z.strictObject({
  name: z.string().min(1).max(80),
  mrTd: hex48,
  rtmr0: hex48.optional(),
  rtmr1: hex48.optional(),
  rtmr2: hex48.optional(),
  rtmr3: hex48.optional(),
});
export type MeasuredImage = z.infer<typeof measuredImage>;

/** TCB statuses as Intel's TCB info names them (dcap-qvl's `TcbStatus`). */
export const tcbStatus = z.enum([
  'UpToDate',
  'SWHardeningNeeded',
  'ConfigurationNeeded',
  'ConfigurationAndSWHardeningNeeded',
  'OutOfDate',
  'OutOfDateConfigurationNeeded',
]);
export type TcbStatus = z.infer<typeof tcbStatus>;

export const attestationPolicy = z.strictObject({
  version: z.literal(1),
  /** When the operator signed it: a client refuses a policy older than its maximum age (MAX_POLICY_AGE_MS). */
  issuedAt: z.string().datetime(),
  /**
   * Grows with every policy the operator signs: a client refuses one below the highest it has seen, so an
   * older, laxer policy can't be replayed to it. Absent in policies signed before sequences: counts as 0.
   */
  sequence: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  /** TCB statuses that pass. `UpToDate` only by default: others name known, unpatched weaknesses. */
  tcbStatuses: z.array(tcbStatus).min(1).max(6).default(['UpToDate']),
  /** The worker VM images allowed in the tier. Empty: no rig is confidential yet. */
  images: z.array(measuredImage).max(64),
  /** If present, the model digests a confidential rig may serve in the tier, by model. */
  models: z.record(modelId, z.array(modelDigest).min(1).max(16)).optional(),
});
export type AttestationPolicy = z.infer<typeof attestationPolicy>;

/** The policy as served: its exact JSON text, the operator's Ed25519 signature over it, and the key. */
export const signedPolicy = z.strictObject({
  policy: z
    .string()
    .min(2)
    .max(64 * 1024),
  signature: z.string().min(1).max(200),
  publicKey: z.string().min(1).max(100),
});
export type SignedPolicy = z.infer<typeof signedPolicy>;

const DOMAIN = 'cocoon/v1/attestation-policy|';

function policyMessage(text: string): Uint8Array {
  return utf8.encode(DOMAIN + text);
}

export function signPolicy(policy: AttestationPolicy, ed25519SecretKey: Uint8Array): SignedPolicy {
  const text = JSON.stringify(attestationPolicy.parse(policy));
  return {
    policy: text,
    signature: toBase64(curves.ed25519Sign(policyMessage(text), ed25519SecretKey)),
    publicKey: toBase64(curves.ed25519PublicKey(ed25519SecretKey)),
  };
}

/**
 * Why a served policy is refused: `policy_rejected` (not signed by the operator key, or unreadable),
 * `policy_rolled_back` (older than one this client has seen), `policy_expired` (issued too long ago).
 */
export type PolicyRejectionCode = 'policy_rejected' | 'policy_rolled_back' | 'policy_expired';

export class PolicyRejected extends Error {
  override name = 'PolicyRejected';
  constructor(
    message: string,
    readonly code: PolicyRejectionCode = 'policy_rejected',
  ) {
    super(message);
  }
}

/**
 * A client refuses a policy issued longer ago than this, by default: a policy the operator signed years ago
 * (one that allowed a TCB level or an image since found broken) can't be served to a client that has seen
 * nothing newer. The operator re-signs the policy (with the next sequence) well within it.
 */
export const MAX_POLICY_AGE_MS = 180 * 86_400_000;

/** Whether `a` is older than `b`: a lower sequence, or the same sequence with an earlier issue date. */
export function isOlderPolicy(a: AttestationPolicy, b: AttestationPolicy): boolean {
  const sa = a.sequence ?? 0;
  const sb = b.sequence ?? 0;
  return sa !== sb ? sa < sb : Date.parse(a.issuedAt) < Date.parse(b.issuedAt);
}

/**
 * Refuses a policy older than `newest` (the newest this client has accepted under the same operator key)
 * or issued more than `maxAgeMs` before `nowMs`.
 */
export function checkPolicyFreshness(
  p: AttestationPolicy,
  newest: AttestationPolicy | undefined,
  nowMs: number,
  maxAgeMs: number = MAX_POLICY_AGE_MS,
): void {
  if (newest && isOlderPolicy(p, newest))
    throw new PolicyRejected(
      `the attestation policy served (sequence ${p.sequence ?? 0}, issued ${p.issuedAt}) is older than one ` +
        `this client already accepted (sequence ${newest.sequence ?? 0}, issued ${newest.issuedAt}): refused as a replay`,
      'policy_rolled_back',
    );
  const ageMs = nowMs - Date.parse(p.issuedAt);
  if (ageMs > maxAgeMs)
    throw new PolicyRejected(
      `the attestation policy served was issued ${p.issuedAt.slice(0, 10)}, ${Math.floor(ageMs / 86_400_000)} ` +
        `days ago, past the ${Math.floor(maxAgeMs / 86_400_000)} days a client accepts: the operator must sign a fresh one`,
      'policy_expired',
    );
}

/**
 * Checks a served policy against the operator's key and parses it. The key named inside the file counts for
 * nothing: only `operatorPublicKey`, which the caller was configured with, does.
 */
export function openSignedPolicy(served: unknown, operatorPublicKey: Uint8Array): AttestationPolicy {
  const s = signedPolicy.safeParse(served);
  if (!s.success) throw new PolicyRejected('the attestation policy is not a signed policy document');
  let ok = false;
  try {
    ok = curves.ed25519Verify(fromBase64(s.data.signature), policyMessage(s.data.policy), operatorPublicKey);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new PolicyRejected(
      `the attestation policy is not signed by the operator key ${toHex(operatorPublicKey).slice(0, 16)}…`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(s.data.policy);
  } catch {
    throw new PolicyRejected('the signed attestation policy is not JSON');
  }
  const p = attestationPolicy.safeParse(json);
  if (!p.success) throw new PolicyRejected(`the signed attestation policy is malformed: ${p.error.message}`);
  return p.data;
}
