// A rig owner's rigs: register (token shown once), list with stats, pause, asks, rotate, revoke.
import { z } from 'zod';
import { device, digestPrefix, modelId, nanoString, priceNanoPer1k, uuid } from '../schemas/common';
import { rigTrustView } from './attestation';
import { rigSpeed } from './market';
import { getRoute, type HttpMethod, isoTime, listOf, route } from './route';

export const registerRigRequest = z.object({ name: z.string().trim().min(1).max(64) });
export const updateRigRequest = z.object({ paused: z.boolean() });
export const setAskRequest = z.object({ priceNanoPer1k });

export const rigParams = z.object({ id: z.string().uuid('must be a rig id (uuid)') });
export const addBondRequest = z.object({ amountNano: nanoString });

export const rigView = z.strictObject({
  id: uuid,
  name: z.string(),
  online: z.boolean(),
  paused: z.boolean(),
  revoked: z.boolean(),
  device: device.nullable(),
  slots: z.number().int().nonnegative(),
  running: z.number().int().nonnegative(),
  models: z.array(
    z.strictObject({
      id: modelId,
      priceNanoPer1k: nanoString,
      demoGrade: z.boolean(),
      /** The first digits of the digest the rig reported for the model; null: it reported none. */
      digest: digestPrefix.nullable(),
      /** Why the proxy gives the rig no jobs for this model (its digest is not the catalogue's); null: served. */
      refused: z.string().nullable(),
      /** Its measured speed for the model, from jobs paid by others than its owner (absent from older proxies). */
      speed: rigSpeed.optional(),
    }),
  ),
  jobsDone: z.number().int().nonnegative(),
  jobsFailed: z.number().int().nonnegative(),
  successRate: z.number().min(0).max(1).nullable(),
  avgJobMs: z.number().nonnegative().nullable(),
  earningsNano: nanoString,
  /**
   * Of its earnings, those from Stars-paid jobs still held (Telegram holds Stars revenue before it can be
   * converted): withdrawable once released (absent from older proxies).
   */
  heldStarsNano: nanoString.optional(),
  /** When the next held part is released; null when nothing is held. */
  starsReleaseAt: isoTime.nullable().optional(),
  fingerprint: z.string().nullable(),
  lastSeenAt: isoTime.nullable(),
  /** Audits of this rig's jobs by other rigs: passed, and failed (each failure quarantines it). */
  auditsPassed: z.number().int().nonnegative(),
  auditsFailed: z.number().int().nonnegative(),
  /** Off the market since an audit proved it wrong (or outvoted it as an auditor); null: in the market. */
  quarantine: z.strictObject({ since: isoTime, reason: z.string() }).nullable(),
  /** Job latency (from its start on the rig to its result) over its last 500 jobs; null: no jobs yet. */
  latencyMs: z.strictObject({
    p50: z.number().nonnegative().nullable(),
    p95: z.number().nonnegative().nullable(),
  }),
  /** Share of the time since it was registered that it was connected. */
  uptime: z.number().min(0).max(1),
  /** One of the operator's own rigs: no probation, no bond. */
  operator: z.boolean(),
  /** Jobs left in probation (every one audited); 0: past it, a bond is needed. */
  probationJobsLeft: z.number().int().nonnegative(),
  /** The bond at stake, and what this network asks past probation. */
  bondNano: nanoString,
  bondRequiredNano: nanoString,
  /** What its jobs since its last passed audit cost: it is offered to clients only while this is below the bond. */
  exposureNano: nanoString,
  /** Set when the owner asked for the bond back: from then it can be withdrawn. */
  bondWithdrawableAt: isoTime.nullable(),
  /** Its trust tier and the evidence behind it (the confidential tier, attestation.ts). */
  trust: rigTrustView,
});
export type RigView = z.infer<typeof rigView>;

/** One audit that concerns a rig: of its job, or one it gave as an auditor. The evidence an owner sees. */
export const rigAuditView = z.strictObject({
  jobId: uuid,
  model: modelId,
  role: z.enum(['audited', 'auditor']),
  round: z.number().int().min(1).max(2),
  state: z.enum(['sent', 'pass', 'fail', 'unable', 'expired']),
  /** Share of the output's positions the auditor's run agreed with; null until a verdict. */
  agreement: z.number().min(0).max(1).nullable(),
  reason: z.string().nullable(),
  /** The job's audit outcome: passed, disputed, refunded, unauditable, or pending. */
  jobAudit: z.string().nullable(),
  at: isoTime,
});
export type RigAuditView = z.infer<typeof rigAuditView>;

/** A rig's record over time, for its owner deciding whether (and at what ask) it is worth running. */
export const rigHistoryView = z.strictObject({
  /** The last 30 days (UTC), oldest first, days without jobs included. */
  days: z.array(
    z.strictObject({
      day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
      jobs: z.number().int().nonnegative(),
      tokens: z.number().int().nonnegative(),
      earningsNano: nanoString,
    }),
  ),
  /** The last 24 hours: jobs that offered it as a candidate, and how many it ran. */
  fill: z.strictObject({ offered: z.number().int().nonnegative(), ran: z.number().int().nonnegative() }),
  /**
   * The last 24 hours' jobs of the models it serves, and how many it would have won at each ask: those whose
   * winning ask was at least that (ties counted as won; its free slots not considered).
   */
  askEstimate: z.array(z.strictObject({ askNanoPer1k: nanoString, jobsWon: z.number().int().nonnegative() })),
  jobsLastDay: z.number().int().nonnegative(),
});
export type RigHistoryView = z.infer<typeof rigHistoryView>;

/**
 * A rig's finished jobs as CSV, for its owner's books (taxes): one row per job, amounts in nanoTON and TON.
 * Text, not JSON: outside the contract's routes (NON_CONTRACT_ROUTES).
 */
export const RIG_JOBS_CSV_PATH = '/v1/rigs/:id/jobs.csv';
/** The owner's payouts (withdrawals) as CSV. */
export const PAYOUTS_CSV_PATH = '/v1/me/withdrawals.csv';

/** A rig's token: shown when registered or rotated, never again. */
const rigToken = z.string().min(1);

/** A route on one of the caller's rigs (`:id`) that takes nothing more. */
function rigRoute<const M extends HttpMethod, const P extends string, R extends z.ZodType>(
  method: M,
  path: P,
  response: R,
) {
  return route({ method, path, request: { params: rigParams }, response });
}

export const rigRoutes = {
  rigs: getRoute('/v1/rigs', listOf('rigs', rigView)),
  registerRig: route({
    method: 'POST',
    path: '/v1/rigs',
    request: { body: registerRigRequest },
    response: z.strictObject({ rig: rigView, token: rigToken }),
    status: [201],
  }),
  setRigPaused: route({
    method: 'PATCH',
    path: '/v1/rigs/:id',
    request: { params: rigParams, body: updateRigRequest },
    response: rigView,
  }),
  setAsk: route({
    method: 'PUT',
    path: '/v1/rigs/:id/asks/:model',
    request: { params: rigParams.extend({ model: modelId }), body: setAskRequest },
    response: rigView,
  }),
  rotateRigToken: rigRoute('POST', '/v1/rigs/:id/rotate', z.strictObject({ token: rigToken })),
  rigHistory: rigRoute('GET', '/v1/rigs/:id/history', rigHistoryView),
  rigAudits: rigRoute('GET', '/v1/rigs/:id/audits', listOf('audits', rigAuditView)),
  /** Moves TON from the owner's balance into the rig's bond. */
  addBond: route({
    method: 'POST',
    path: '/v1/rigs/:id/bond',
    request: { params: rigParams, body: addBondRequest },
    response: rigView,
  }),
  /** First call: starts the cooling-off. A call after it (no audit open): the bond goes back to the owner. */
  withdrawBond: rigRoute('POST', '/v1/rigs/:id/bond/withdraw', rigView),
  /**
   * Back on the market after a quarantine, once the owner has seen the evidence (its audits) and the bond is
   * whole again; probation starts over.
   */
  releaseRig: rigRoute('POST', '/v1/rigs/:id/release', rigView),
  /** Asks a TDX rig for fresh evidence now (a new challenge); its check lands on the Rigs page shortly. */
  attestRig: route({
    method: 'POST',
    path: '/v1/rigs/:id/attest',
    request: { params: rigParams },
    response: rigView,
    status: [202],
  }),
  revokeRig: rigRoute('DELETE', '/v1/rigs/:id', rigView),
} as const;
