// The SQL of attestation: a rig's trust tier and the evidence it was given on, on `rigs`. Every function takes
// a Queryable.
import type { Queryable } from '../db';
import { TRUST_COLUMNS, type TrustRow } from './trust-view';

/** Stores the outcome of checking a rig's evidence: its tier, and the evidence as checked. */
export async function setRigTrust(
  q: Queryable,
  rigId: string,
  tier: string,
  evidence: unknown,
): Promise<void> {
  await q.query(
    `UPDATE rigs SET trust_tier = $2, evidence = $3::jsonb, evidence_checked_at = now() WHERE id = $1`,
    [rigId, tier, JSON.stringify(evidence)],
  );
}

/** A live rig's keys and trust columns (trust-view.ts). */
export async function rigEvidenceRow(
  q: Queryable,
  rigId: string,
): Promise<
  (TrustRow & { id: string; x25519_public_key: string | null; ed25519_public_key: string | null }) | undefined
> {
  const r = await q.query<
    TrustRow & { id: string; x25519_public_key: string | null; ed25519_public_key: string | null }
  >(
    `SELECT id, x25519_public_key, ed25519_public_key, ${TRUST_COLUMNS} FROM rigs WHERE id = $1 AND revoked_at IS NULL`,
    [rigId],
  );
  return r.rows[0];
}
