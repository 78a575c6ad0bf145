// The worker channel: JSON messages over the WebSocket at /v1/worker, both ways, and its close codes.
// The proxy parses what a worker sends with `workerToProxy`; a worker parses what the proxy sends with
// `proxyToWorker` (it checks everything that crosses its socket too).
import { z } from 'zod';
import {
  b64,
  device,
  ed25519PublicKeyB64,
  jobKind,
  modelDigest,
  modelId,
  x25519PublicKeyB64,
} from '../schemas/common';
import { maxTokensField, sealedBox, sealedEnvelope } from '../schemas/envelope';
import { teeKind } from './attestation';

/** Where a rig's worker connects (a WebSocket, `Authorization: Bearer <rig token>`). */
export const WORKER_CHANNEL_PATH = '/v1/worker';

/**
 * The worker channel's version, said in the hello. 2: results carry the generated token ids (result v2,
 * schemas/envelope.ts finalResult.tokenIds, committed in form cocoon/v2/result), which auditors score and
 * clients count. Protocol 1 workers (results without ids) are still accepted while rigs upgrade: their
 * results keep the v1 audit path (the text re-encoded). A worker sends PROTOCOL_VERSION; the proxy takes any
 * of WORKER_PROTOCOLS.
 */
export const PROTOCOL_VERSION = 2;
export const WORKER_PROTOCOLS = [1, 2] as const;

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 in hex');

export const usageReceipt = z.object({
  jobId: z.string().uuid(),
  rigId: z.string().uuid(),
  model: modelId,
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  resultHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** sha256 over the salted plaintext result (crypto/commitment.ts): the client checks it. */
  commitment: z.string().regex(/^[0-9a-f]{64}$/),
});
export type UsageReceipt = z.infer<typeof usageReceipt>;

/** The longest context a rig may declare: 16 M tokens, far past any model's, well inside an int4 column. */
export const MAX_CONTEXT_LENGTH = 16 * 1024 * 1024;

/** One running job's progress in a heartbeat: the tokens it has produced so far. */
export const jobProgress = z.object({
  jobId: z.string().uuid(),
  tokens: z.number().int().nonnegative().max(1_000_000),
});
export type JobProgress = z.infer<typeof jobProgress>;

export const servedModel = z.object({
  id: modelId,
  // Rig-controlled: bounded so a hello can't carry a huge list or a context length the database's integer
  // column refuses (which would fail the hello with no reason given).
  kinds: z.array(jobKind).min(1).max(jobKind.options.length),
  contextLength: z.number().int().positive().max(MAX_CONTEXT_LENGTH),
  description: z.string().max(200).default(''),
  demoGrade: z.boolean().default(false),
  /**
   * The model's content digest. Optional so older workers still connect; the proxy treats a missing digest
   * as a mismatch for a catalogued model (refused for it). To become required in the next protocol version.
   */
  digest: modelDigest.optional(),
});
export type ServedModel = z.infer<typeof servedModel>;

/**
 * What the rig runs in, said in its hello. A TDX rig's evidence follows in an `evidence` message once the
 * proxy's `welcome` gave it a challenge to bind (the proxy checks it; until then the rig is in the open tier).
 */
export const attestation = z.object({ kind: teeKind });

/** A TDX quote as sent, in base64; a real one is about 5 KB (attestation/verify.ts bounds the bytes). */
const quoteB64 = b64.max(24 * 1024);
const challengeB64 = b64.max(64);

export const rigEvidence = z.discriminatedUnion('kind', [
  /** The rig's TDX quote over its keys and the proxy's latest challenge (attestation/report-data.ts). */
  z.object({ kind: z.literal('tdx'), quote: quoteB64, challenge: challengeB64 }),
  /** A rig that said it runs in TDX could not produce a quote this time: it stays in the open tier. */
  z.object({ kind: z.literal('none'), reason: z.string().max(500) }),
]);
export type RigEvidence = z.infer<typeof rigEvidence>;

export const workerToProxy = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    protocol: z.union([z.literal(WORKER_PROTOCOLS[0]), z.literal(WORKER_PROTOCOLS[1])]),
    models: z.array(servedModel).min(1).max(32),
    slots: z.number().int().min(1).max(64),
    x25519PublicKey: x25519PublicKeyB64,
    ed25519PublicKey: ed25519PublicKeyB64,
    device,
    version: z.string().max(32),
    attestation: attestation.default({ kind: 'none' }),
  }),
  z.object({
    type: z.literal('heartbeat'),
    /** Jobs the rig has started and is running (their leases renew). */
    running: z.array(z.string().uuid()).max(64),
    /** Jobs the rig holds but has not started (its own queue): alive, making no progress. */
    queued: z.array(z.string().uuid()).max(64).default([]),
    /**
     * Tokens done so far per running job (completion tokens decoded; a summarizer counts its stages). The
     * proxy's deadlines move only when a job's count grows, and never past its max tokens (jobs/progress.ts).
     * Optional so older workers still connect, but a worker that reports none makes no progress: its jobs
     * end at the first-token deadline.
     */
    progress: z.array(jobProgress).max(64).default([]),
  }),
  z.object({
    type: z.literal('chunk'),
    jobId: z.string().uuid(),
    seq: z.number().int().nonnegative(),
    sealed: sealedBox,
  }),
  z.object({
    type: z.literal('done'),
    jobId: z.string().uuid(),
    result: sealedBox,
    receipt: usageReceipt,
    signature: b64,
    /**
     * The same final result sealed for the job's other candidates (crypto/envelope.ts sealAuditCopy), so one
     * of them can audit it. Sent when the envelope has other candidates; without it the job can't be audited.
     */
    auditCopy: sealedBox.optional(),
  }),
  z.object({
    type: z.literal('verdict'),
    auditId: z.string().uuid(),
    jobId: z.string().uuid(),
    requestHash: sha256Hex,
    commitment: sha256Hex,
    agreementPpm: z.number().int().min(0).max(1_000_000),
    outcome: z.enum(['pass', 'fail', 'unable']),
    /** Why it failed, in words (no job text): shown to the audited rig's owner as evidence. */
    reason: z.string().max(300).default(''),
    signature: b64,
  }),
  z.object({ type: z.literal('evidence'), evidence: rigEvidence }),
  z.object({
    type: z.literal('fail'),
    jobId: z.string().uuid(),
    reason: z.string().max(500),
    retryable: z.boolean(),
  }),
]);
export type WorkerToProxy = z.infer<typeof workerToProxy>;

const positiveInt = z.number().int().positive();

export const assignMessage = z.object({
  type: z.literal('assign'),
  jobId: z.string().uuid(),
  model: modelId,
  kind: jobKind,
  envelope: sealedEnvelope,
  /** Binds the envelope to its quote; the same string the client used as AAD. */
  aad: z.string().min(1).max(256),
  inputTokens: z.number().int().nonnegative(),
  maxTokens: maxTokensField,
  leaseMs: positiveInt,
});
export type AssignMessage = z.infer<typeof assignMessage>;

/**
 * An audit: the proxy asks another candidate of a finished job to check it. Sent after the result is in, so
 * the executing rig can't know whether its job is audited.
 */
export const auditMessage = z.object({
  type: z.literal('audit'),
  auditId: z.string().uuid(),
  jobId: z.string().uuid(),
  model: modelId,
  kind: jobKind,
  envelope: sealedEnvelope,
  aad: z.string().min(1).max(256),
  /** The executing rig's result, sealed for the candidates. */
  auditCopy: sealedBox,
  /** What the executing rig signed: its token counts and its commitment to the result. */
  receipt: z.object({
    promptTokens: z.number().int().nonnegative(),
    completionTokens: z.number().int().nonnegative(),
    commitment: sha256Hex,
  }),
  inputTokens: z.number().int().nonnegative(),
  maxTokens: maxTokensField,
});
export type AuditMessage = z.infer<typeof auditMessage>;

export const proxyToWorker = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('welcome'),
    rigId: z.string().uuid(),
    // Bounded so a bad value can't make the worker spin or go silent past the proxy's watchdog.
    heartbeatMs: positiveInt.min(100).max(600_000),
    leaseMs: positiveInt,
    /** Models of the hello the proxy will not give this rig jobs for, and why (a digest off the catalogue's). */
    refused: z
      .array(z.object({ model: modelId, reason: z.string().max(500) }))
      .max(32)
      .optional(),
    /** For a rig that said it runs in TDX: bind this to a quote and send it as `evidence`. */
    challenge: challengeB64.optional(),
  }),
  /** A fresh challenge: send new evidence (on the proxy's schedule, or when its operator asks). */
  z.object({ type: z.literal('attest'), challenge: challengeB64 }),
  assignMessage,
  auditMessage,
  z.object({ type: z.literal('cancel'), jobId: z.string().uuid(), reason: z.string().max(1000) }),
  z.object({ type: z.literal('error'), message: z.string().max(2000) }),
]);
export type ProxyToWorker = z.infer<typeof proxyToWorker>;

/** Why the proxy closed a worker's socket. The worker stops for good on badToken and replaced. */
export const WORKER_CLOSE = {
  /** Another connection of the same rig took over. */
  replaced: 4000,
  /** The rig token is unknown, revoked or rotated. */
  badToken: 4401,
  /** No heartbeat for three intervals. */
  heartbeatTimeout: 4408,
  /** The rig broke a bound: flooding its socket, or streaming past a job's token budget. */
  overLimit: 4429,
  /** The hello was refused (a key of the wrong length or a low-order point, a field past its bound): the reason says which. */
  badHello: 4400,
} as const;

/** Close codes after which a worker stops for good instead of reconnecting (the same hello would be refused again). */
export const WORKER_CLOSE_FINAL: readonly number[] = [
  WORKER_CLOSE.badToken,
  WORKER_CLOSE.replaced,
  WORKER_CLOSE.badHello,
];
