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
  issuedAt: z.string().datetime(),
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

export class PolicyRejected extends Error {
  override name = 'PolicyRejected';
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
