// Bounded waiting on the proxy: a deadline for one call (Telegram's 10-second pre-checkout limit), and a
// bounded number of tries with backoff for a report that must not be lost (a payment Telegram took).
import { ApiError } from '@cocoon/shared';

export class DeadlineError extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'DeadlineError';
  }
}

/** `work` or a DeadlineError after `ms`, whichever comes first (the work itself is not cancelled). */
export async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(ms)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether trying again may help: the proxy unreachable, overloaded or failing (network errors, 408, 429,
 * 5xx). A 4xx is the proxy's answer about this request and stays the same on a retry.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof ApiError) return err.status === 408 || err.status === 429 || err.status >= 500;
  return true;
}

export interface RetryOptions {
  attempts: number;
  /** The wait before the second try; it doubles after each further failure. */
  firstDelayMs: number;
  maxDelayMs?: number;
  retryable?: (err: unknown) => boolean;
  /** Called before each wait (for logging). */
  onRetry?: (err: unknown, attempt: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `fn` up to `attempts` times while it fails with a retryable error; the last error is thrown. */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  const retryable = o.retryable ?? isRetryable;
  const sleep = o.sleep ?? realSleep;
  let delay = o.firstDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= o.attempts || !retryable(err)) throw err;
      o.onRetry?.(err, attempt);
      await sleep(delay);
      delay = Math.min(delay * 2, o.maxDelayMs ?? 30_000);
    }
  }
}
