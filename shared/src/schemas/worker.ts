// The worker channel: JSON messages over the WebSocket at /v1/worker.
import { z } from 'zod';
import { b64, device, jobKind, modelId } from './common';
import { sealedBox, type sealedEnvelope } from './envelope';

export const PROTOCOL_VERSION = 1;

export const usageReceipt = z.object({
  jobId: z.string().uuid(),
  rigId: z.string().uuid(),
  model: modelId,
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  resultHash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type UsageReceipt = z.infer<typeof usageReceipt>;

export const servedModel = z.object({
  id: modelId,
  kinds: z.array(jobKind).min(1),
  contextLength: z.number().int().positive(),
  description: z.string().max(200).default(''),
  demoGrade: z.boolean().default(false),
});
export type ServedModel = z.infer<typeof servedModel>;

/** Attestation is a placeholder for a TDX quote verifier; today rigs send `none` and the README says so. */
export const attestation = z.object({ kind: z.literal('none') });

export const workerToProxy = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    protocol: z.literal(PROTOCOL_VERSION),
    models: z.array(servedModel).min(1).max(32),
    slots: z.number().int().min(1).max(64),
    x25519PublicKey: b64,
    ed25519PublicKey: b64,
    device,
    version: z.string().max(32),
    attestation: attestation.default({ kind: 'none' }),
  }),
  z.object({ type: z.literal('heartbeat'), running: z.array(z.string().uuid()).max(64) }),
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
  }),
  z.object({
    type: z.literal('fail'),
    jobId: z.string().uuid(),
    reason: z.string().max(500),
    retryable: z.boolean(),
  }),
]);
export type WorkerToProxy = z.infer<typeof workerToProxy>;

export type ProxyToWorker =
  | { type: 'welcome'; rigId: string; heartbeatMs: number; leaseMs: number }
  | {
      type: 'assign';
      jobId: string;
      model: string;
      kind: z.infer<typeof jobKind>;
      envelope: z.infer<typeof sealedEnvelope>;
      /** Binds the envelope to its quote; the same string the client used as AAD. */
      aad: string;
      inputTokens: number;
      maxTokens: number;
      leaseMs: number;
    }
  | { type: 'cancel'; jobId: string; reason: string }
  | { type: 'error'; message: string };

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
} as const;
