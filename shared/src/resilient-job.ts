// A client that survives proxy restarts: quote, seal, submit (retrying network errors with the same
// idempotency key), stream the result, and when the stream breaks, read GET /v1/jobs/:id until the job is
// terminal. Every retry loop is bounded in count and time. Runs in Node and in the browser (the idempotency
// key comes from the global Web Crypto, not node:crypto).
import { fromBase64 } from './bytes';
import { ApiError, type CocoonClient, inputTokenBound, seededBody, withSealableKeys } from './client';
import { openResultPart, sealJob } from './crypto/envelope';
import { finalResult, type JobBody } from './schemas/envelope';

export type ResilientOutcome =
  | { kind: 'done'; jobId: string; rigId: string; text: string; costNano: bigint; viaPolling: boolean }
  | { kind: 'failed' | 'expired'; jobId: string; reason: string }
  | { kind: 'not-submitted'; jobId: string | null; reason: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Network errors (connection refused or reset while a proxy restarts) are retried; API errors are not. */
async function retrying<T>(fn: () => Promise<T>, tries = 40, delayMs = 100): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ApiError && err.status < 500) throw err;
      if (i >= tries) throw err;
      await sleep(delayMs);
    }
  }
}

export async function runJobResilient(
  client: CocoonClient,
  model: string,
  body: JobBody,
  opts: { pollTimeoutMs?: number } = {},
): Promise<ResilientOutcome> {
  let quote: Awaited<ReturnType<CocoonClient['quote']>>;
  try {
    quote = await retrying(() =>
      client.quote({ model, kind: body.kind, inputTokens: inputTokenBound(body), maxTokens: body.maxTokens }),
    );
  } catch (err) {
    return { kind: 'not-submitted', jobId: null, reason: (err as Error).message };
  }
  const jobId = quote.quoteId;
  let sealable: typeof quote.candidates;
  try {
    sealable = withSealableKeys(quote.candidates);
  } catch (err) {
    return { kind: 'not-submitted', jobId, reason: (err as Error).message };
  }
  const { envelope, state } = sealJob(
    seededBody(body),
    sealable.map((c) => ({ rigId: c.rigId, x25519PublicKey: fromBase64(c.x25519PublicKey) })),
    jobId,
  );
  const idempotencyKey = globalThis.crypto.randomUUID();
  try {
    await retrying(() => client.submit({ quoteId: jobId, envelope, idempotencyKey }));
  } catch (err) {
    return { kind: 'not-submitted', jobId, reason: (err as Error).message };
  }
  const open = (rigId: string, result: Parameters<typeof openResultPart>[3]) =>
    finalResult.parse(openResultPart(state, rigId, 'final', result)).text;

  // The stream first; a broken stream (proxy restart) falls back to polling.
  try {
    for await (const ev of client.jobEvents(jobId, AbortSignal.timeout(20_000))) {
      if (ev.type === 'done')
        return {
          kind: 'done',
          jobId,
          rigId: ev.rigId,
          text: open(ev.rigId, ev.result),
          costNano: BigInt(ev.costNano),
          viaPolling: false,
        };
      if (ev.type === 'failed') return { kind: 'failed', jobId, reason: ev.reason };
    }
  } catch {
    // fall through to polling
  }
  const until = Date.now() + (opts.pollTimeoutMs ?? 20_000);
  for (let i = 0; i < 400 && Date.now() < until; i++) {
    const view = await client.job(jobId).catch(() => null);
    if (view?.state === 'done' && view.result && view.rigId)
      return {
        kind: 'done',
        jobId,
        rigId: view.rigId,
        text: open(view.rigId, view.result),
        costNano: BigInt(view.costNano ?? '0'),
        viaPolling: true,
      };
    if (view?.state === 'failed' || view?.state === 'expired')
      return { kind: view.state, jobId, reason: view.failReason ?? view.state };
    await sleep(100);
  }
  throw new Error(`job ${jobId} did not end within the polling bound`);
}
