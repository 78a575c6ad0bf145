import type { JobView, SealedBox, SealedEnvelope } from '@cocoon/shared';

export interface JobCandidate {
  rigId: string;
  priceNanoPer1k: string;
  /** Only there to audit (the operator's anchor cooling down or above the hold's ask: market/candidates.ts). */
  auditOnly?: boolean;
}

export interface JobRow {
  id: string;
  user_id: string;
  model: string;
  kind: 'summarize' | 'generate' | 'chat';
  state: JobView['state'];
  input_tokens: number;
  max_tokens: number;
  hold_nano: string;
  /** The part of the hold that came from trial credit. */
  hold_trial_nano: string;
  /** The part of the hold that came from Stars credit (after trial credit). */
  hold_stars_nano: string;
  /** Paid from the user's on-chain account (its mirror onchain:<user>), not the withdrawable balance. */
  pays_onchain: boolean;
  /** The first rig that said this job's input is invalid. */
  input_refused_by: string | null;
  fee_bps: number;
  candidates: JobCandidate[];
  attempt: number;
  rig_id: string | null;
  envelope: SealedEnvelope | null;
  idempotency_key: string | null;
  result: SealedBox | null;
  result_commitment: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cost_nano: string | null;
  fail_reason: string | null;
  created_at: Date;
  expires_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** Columns to select for a JobRow: numerics as text so bigints survive both database engines. */
export const JOB_COLUMNS = `j.id, j.user_id, j.model, j.kind, j.state, j.input_tokens, j.max_tokens,
  j.hold_nano::text AS hold_nano, j.hold_trial_nano::text AS hold_trial_nano,
  j.hold_stars_nano::text AS hold_stars_nano, j.pays_onchain, j.input_refused_by, j.fee_bps, j.candidates, j.attempt, j.rig_id, j.envelope, j.idempotency_key,
  j.result, j.result_commitment, j.prompt_tokens, j.completion_tokens, j.cost_nano::text AS cost_nano, j.fail_reason, j.created_at,
  j.expires_at, j.started_at, j.finished_at`;

export function toJobView(j: JobRow & { rig_name?: string | null }): JobView {
  return {
    id: j.id,
    model: j.model,
    kind: j.kind,
    state: j.state,
    rigId: j.rig_id,
    rigName: j.rig_name ?? null,
    attempts: j.state === 'quoted' ? 0 : j.attempt + 1,
    holdNano: j.hold_nano,
    costNano: j.cost_nano,
    promptTokens: j.prompt_tokens,
    completionTokens: j.completion_tokens,
    failReason: j.fail_reason,
    createdAt: new Date(j.created_at).toISOString(),
    finishedAt: j.finished_at ? new Date(j.finished_at).toISOString() : null,
    result: j.result,
    commitment: j.result_commitment,
  };
}
