// The confidential tier's public routes: the operator's signed attestation policy, and each rig's TDX
// evidence (its quote, the challenge it answered, the collateral the proxy checked it with), so a client can
// check a candidate itself before it seals a job to it.
import { z } from 'zod';
import { signedPolicy } from '../attestation/policy';
import { b64, shownKeyB64, uuid } from '../schemas/common';
import { getRoute, isoTime, route } from './route';

/** The market's trust tiers: any rig, or a rig whose TDX evidence verified against the operator's policy. */
export const trustTier = z.enum(['open', 'tdx']);
export type TrustTier = z.infer<typeof trustTier>;

/** What a rig says it runs in: a TDX guest, or nothing attested. */
export const teeKind = z.enum(['none', 'tdx']);
export type TeeKind = z.infer<typeof teeKind>;

const hex48 = z.string().regex(/^[0-9a-f]{96}$/);
export const measurementsView = z.strictObject({
  mrTd: hex48,
  rtmr0: hex48,
  rtmr1: hex48,
  rtmr2: hex48,
  rtmr3: hex48,
});

/** Collateral as dcap-qvl takes it; bounded, since a client fetches it from the proxy. */
const collateralText = z.string().max(64 * 1024);
/** DER bytes or signatures: hex, or the bytes as numbers (dcap-qvl takes both). */
const collateralBytes = z.union([collateralText, z.array(z.number().int().min(0).max(255)).max(64 * 1024)]);
export const collateralView = z.strictObject({
  pck_crl_issuer_chain: collateralText,
  root_ca_crl: collateralBytes,
  pck_crl: collateralBytes,
  tcb_info_issuer_chain: collateralText,
  tcb_info: collateralText,
  tcb_info_signature: collateralBytes,
  qe_identity_issuer_chain: collateralText,
  qe_identity: collateralText,
  qe_identity_signature: collateralBytes,
  /** The PCK chain fetched from the PCCS, used instead of the quote's own when present. */
  pck_certificate_chain: collateralText.optional(),
});

/** A rig's standing in the trust tiers, as its owner and everyone else see it. */
export const rigTrustView = z.strictObject({
  tier: trustTier,
  /** What the rig claims to run in. */
  tee: teeKind,
  /** Why a rig that claims TDX is in the open tier (or null): a failure code and its words. */
  code: z.string().nullable(),
  reason: z.string().nullable(),
  tcbStatus: z.string().nullable(),
  /** The policy's name for the measured image the rig runs. */
  image: z.string().nullable(),
  measurements: measurementsView.nullable(),
  checkedAt: isoTime.nullable(),
});
export type RigTrustView = z.infer<typeof rigTrustView>;

export const rigEvidenceView = z.strictObject({
  rigId: uuid,
  trust: rigTrustView,
  x25519PublicKey: shownKeyB64,
  ed25519PublicKey: shownKeyB64,
  /** The last quote the rig sent and the challenge it answered; null: none. Bounded as the channel bounds them. */
  quote: b64.max(24 * 1024).nullable(),
  challenge: b64.max(64).nullable(),
  /** The collateral the proxy verified the quote with (signed by Intel: the client checks it too). */
  collateral: collateralView.nullable(),
});
export type RigEvidenceView = z.infer<typeof rigEvidenceView>;

export const attestationRoutes = {
  attestationPolicy: getRoute('/v1/attestation/policy', signedPolicy),
  rigEvidence: route({
    method: 'GET',
    path: '/v1/rigs/:id/evidence',
    request: { params: z.object({ id: z.string().uuid('must be a rig id (uuid)') }) },
    response: rigEvidenceView,
  }),
} as const;
