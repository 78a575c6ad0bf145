// Quotes, sealed job submission, a job's state and its event stream.
import { z } from 'zod';
import { device, jobKind, modelId, nanoString, priceNanoPer1k, shownKeyB64, uuid } from '../schemas/common';
import { maxTokensField, sealedBox, sealedEnvelope } from '../schemas/envelope';
import { trustTier } from './attestation';
import { marketPriority, rigSpeed } from './market';
import { isoTime, route } from './route';

export const quoteRequest = z.object({
  model: modelId,
  kind: jobKind,
  /** An upper bound on prompt tokens; the rig refuses a prompt longer than this. */
  inputTokens: z.number().int().nonnegative().max(1_000_000),
  maxTokens: maxTokensField,
  /** The most the client pays per 1,000 tokens to the rig (before the fee). */
  maxPriceNanoPer1k: priceNanoPer1k.optional(),
  /** `tdx`: only rigs in the confidential tier (the client checks each one's evidence itself, too). */
  minTrust: trustTier.default('open'),
  /** `speed`: the soonest expected result first (within the same candidate rules); default the cheapest. */
  priority: marketPriority.default('price'),
});
export type QuoteRequest = z.input<typeof quoteRequest>;

export const submitJobRequest = z.object({
  quoteId: z.string().uuid(),
  envelope: sealedEnvelope,
  idempotencyKey: z.string().min(8).max(128),
  /**
   * The longest this job may wait in the queue for a free rig, in milliseconds (the proxy's QUEUE_WAIT_MS
   * when absent or larger). 0: don't wait; refused (503 `no_free_rig`) when every candidate is busy.
   */
  maxWaitMs: z.number().int().min(0).max(3_600_000).optional(),
});
export type SubmitJobRequest = z.input<typeof submitJobRequest>;

export const jobParams = z.object({ id: z.string().uuid('must be a job id (uuid)') });

/** A sealed part as the proxy hands it on: exactly nonce and ciphertext. */
const sealedOut = sealedBox.strict();

export const candidate = z.strictObject({
  rigId: uuid,
  priceNanoPer1k: nanoString,
  x25519PublicKey: shownKeyB64,
  ed25519PublicKey: shownKeyB64,
  device,
  trust: trustTier,
  /** The rig's measured speed for the model (absent from older proxies). */
  speed: rigSpeed.optional(),
  /** Milliseconds the job is expected to take once started: first token + maxTokens ÷ decode speed; absent when unmeasured. */
  expectedMs: z.number().int().nonnegative().optional(),
  /** How long a job would wait for this rig's next free slot, estimated (0: a slot is free now). */
  expectedWaitMs: z.number().int().nonnegative().optional(),
});
export type Candidate = z.infer<typeof candidate>;

export const quoteResponse = z.strictObject({
  quoteId: uuid,
  model: modelId,
  kind: jobKind,
  holdNano: nanoString,
  feeBps: z.number().int().nonnegative(),
  expiresAt: isoTime,
  candidates: z.array(candidate),
  /** The first candidate's expected time (ms, once started); absent when unmeasured. */
  expectedMs: z.number().int().nonnegative().optional(),
});
export type QuoteResponse = z.infer<typeof quoteResponse>;

export const jobState = z.enum(['quoted', 'queued', 'running', 'done', 'failed', 'expired']);
export type JobState = z.infer<typeof jobState>;

export const jobView = z.strictObject({
  id: uuid,
  model: modelId,
  kind: jobKind,
  state: jobState,
  rigId: uuid.nullable(),
  rigName: z.string().nullable(),
  attempts: z.number().int().nonnegative(),
  holdNano: nanoString,
  costNano: nanoString.nullable(),
  promptTokens: z.number().int().nonnegative().nullable(),
  completionTokens: z.number().int().nonnegative().nullable(),
  failReason: z.string().nullable(),
  createdAt: isoTime,
  finishedAt: isoTime.nullable(),
  result: sealedOut.nullable(),
  commitment: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
});
export type JobView = z.infer<typeof jobView>;

/** Server-sent events on GET /v1/jobs/:id/events (and POST /v1/jobs with `Accept: text/event-stream`). */
export const jobEvent = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('state'),
    state: jobState,
    rigId: uuid.nullable(),
    attempt: z.number().int().nonnegative(),
  }),
  z.strictObject({
    type: z.literal('chunk'),
    rigId: uuid,
    attempt: z.number().int().nonnegative(),
    seq: z.number().int().nonnegative(),
    sealed: sealedOut,
  }),
  z.strictObject({
    type: z.literal('done'),
    rigId: uuid,
    result: sealedOut,
    /** The rig's signed commitment to the plaintext result; the client checks it against what it opens. */
    commitment: z.string().regex(/^[0-9a-f]{64}$/),
    costNano: nanoString,
    promptTokens: z.number().int().nonnegative(),
    completionTokens: z.number().int().nonnegative(),
  }),
  z.strictObject({ type: z.literal('failed'), reason: z.string() }),
  /**
   * The job waits for a free rig: `position` 1 is next in line (sent again whenever it moves), and the wait
   * fails at `waitDeadline`.
   */
  z.strictObject({
    type: z.literal('queued'),
    position: z.number().int().positive(),
    waitDeadline: isoTime.nullable(),
  }),
]);
export type JobEvent = z.infer<typeof jobEvent>;

export const jobRoutes = {
  quote: route({
    method: 'POST',
    path: '/v1/quotes',
    request: { body: quoteRequest },
    response: quoteResponse,
    status: [201],
  }),
  /** The job as JSON (202), or with `Accept: text/event-stream` its events, as from /events. */
  submitJob: route({
    method: 'POST',
    path: '/v1/jobs',
    request: { body: submitJobRequest },
    response: jobView,
    status: [202],
    events: jobEvent,
  }),
  job: route({ method: 'GET', path: '/v1/jobs/:id', request: { params: jobParams }, response: jobView }),
  jobEvents: route({
    method: 'GET',
    path: '/v1/jobs/:id/events',
    request: { params: jobParams },
    response: jobEvent,
    events: jobEvent,
  }),
  /**
   * Cancels a job still waiting in the queue: it fails and its hold goes back at once. A job on a rig can't
   * be cancelled (409 `job_running`): the rig is working on it.
   */
  cancelJob: route({
    method: 'POST',
    path: '/v1/jobs/:id/cancel',
    request: { params: jobParams },
    response: jobView,
  }),
  /**
   * A client reports a result that broke its rig's commitment, or whose token counts differ from the signed
   * receipt or its token ids (kept for audits).
   */
  reportJob: route({
    method: 'POST',
    path: '/v1/jobs/:id/report',
    request: {
      params: jobParams,
      body: z.strictObject({ reason: z.enum(['commitment_mismatch', 'token_count_mismatch']) }),
    },
    response: z.strictObject({ ok: z.literal(true) }),
    status: [201],
  }),
} as const;
