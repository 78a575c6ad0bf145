// A rig's trust tier as stored (rigs.tee, trust_tier, evidence) and as its views show it.
import type { RigTrustView } from '@cocoon/shared';

/** What a rig's evidence check stored: the verdict, and the quote it was made from. */
export interface StoredEvidence {
  code: string | null;
  reason: string | null;
  tcbStatus: string | null;
  image: string | null;
  measurements: RigTrustView['measurements'];
  quote: string | null;
  challenge: string | null;
}

/** The columns trustView reads, for any query over `rigs`. */
export const TRUST_COLUMNS = 'tee, trust_tier, evidence, evidence_checked_at';
export interface TrustRow {
  tee: string;
  trust_tier: string;
  evidence: unknown;
  evidence_checked_at: Date | string | null;
}

export function trustView(row: TrustRow): RigTrustView {
  const e = row.evidence as StoredEvidence | null;
  const awaiting = !e && row.tee === 'tdx';
  return {
    tier: row.trust_tier === 'tdx' ? 'tdx' : 'open',
    tee: row.tee === 'tdx' ? 'tdx' : 'none',
    code: awaiting ? 'awaiting' : (e?.code ?? null),
    reason: awaiting ? 'waiting for the rig to send its quote' : (e?.reason ?? null),
    tcbStatus: e?.tcbStatus ?? null,
    image: e?.image ?? null,
    measurements: e?.measurements ?? null,
    checkedAt: row.evidence_checked_at ? new Date(row.evidence_checked_at).toISOString() : null,
  };
}
