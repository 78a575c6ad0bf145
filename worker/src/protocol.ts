// What the proxy may send a worker, as a zod schema: the shared package types these messages but
// only validates the worker's side, and a worker checks everything that crosses its socket too.
import { jobKind, modelId, sealedEnvelope } from '@cocoon/shared';
import { z } from 'zod';

const positiveInt = z.number().int().positive();

export const assignMessage = z.object({
  type: z.literal('assign'),
  jobId: z.string().uuid(),
  model: modelId,
  kind: jobKind,
  envelope: sealedEnvelope,
  aad: z.string().min(1).max(256),
  inputTokens: z.number().int().nonnegative(),
  maxTokens: positiveInt,
  leaseMs: positiveInt,
});
export type AssignMessage = z.infer<typeof assignMessage>;

export const proxyToWorker = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('welcome'),
    rigId: z.string().uuid(),
    // Bounded so a bad value can't make the worker spin or go silent past the proxy's watchdog.
    heartbeatMs: positiveInt.min(100).max(600_000),
    leaseMs: positiveInt,
  }),
  assignMessage,
  z.object({ type: z.literal('cancel'), jobId: z.string().uuid(), reason: z.string().max(1000) }),
  z.object({ type: z.literal('error'), message: z.string().max(2000) }),
]);
export type ProxyMessage = z.infer<typeof proxyToWorker>;

/** Close codes the proxy uses that mean "don't reconnect". */
export const CLOSE_BAD_TOKEN = 4401;
export const CLOSE_REPLACED = 4000;
