// How long a client waits for a job: a wait in the proxy's queue for a free rig, then the run. The proxy
// ends a wait at its deadline (QUEUE_WAIT_MS, or the shorter `maxWaitMs` the client asked for), and a running
// job only when its rig stops making progress, or at the run time cap: max tokens at the slowest rate it
// accepts (its RUN_CAP_MS_PER_TOKEN, 1 token/s by default) after the first-token allowance. A fixed total
// would cut a slow rig that is producing a long answer, so a client's timeout grows with the wait it allows
// and with max tokens, to fit both.

/** The slowest rate the proxy accepts by default, in milliseconds per token (RUN_CAP_MS_PER_TOKEN). */
export const SLOWEST_MS_PER_TOKEN = 1000;
/** The proxy's default longest wait in its queue (QUEUE_WAIT_MS). */
export const DEFAULT_QUEUE_WAIT_MS = 120_000;
/** On top of the wait: the first token (the proxy's FIRST_TOKEN_BASE_MS by default). */
const FIRST_TOKEN_MS = 30_000;

/**
 * A client's timeout for a job of `maxTokens` that may wait `waitMs` for a rig: the wait, then time for a
 * rig at the slowest accepted rate; at least `floorMs`.
 */
export function jobTimeoutMs(maxTokens: number, floorMs: number, waitMs = DEFAULT_QUEUE_WAIT_MS): number {
  return Math.max(floorMs, waitMs + FIRST_TOKEN_MS + maxTokens * SLOWEST_MS_PER_TOKEN);
}
