// How long a client waits for a job. The proxy ends a running job only when its rig stops making progress,
// or at the run time cap: max tokens at the slowest rate it accepts (its RUN_CAP_MS_PER_TOKEN, 1 token/s
// by default) after the first-token allowance. A fixed total would cut a slow rig that is producing a long
// answer, so a client's timeout grows with max tokens to fit that cap.

/** The slowest rate the proxy accepts by default, in milliseconds per token (RUN_CAP_MS_PER_TOKEN). */
export const SLOWEST_MS_PER_TOKEN = 1000;
/** On top: the wait for a rig and the first token. */
const WAIT_AND_FIRST_TOKEN_MS = 120_000;

/** A client's timeout for a job of `maxTokens`: time for a rig at the slowest accepted rate, at least `floorMs`. */
export function jobTimeoutMs(maxTokens: number, floorMs: number): number {
  return Math.max(floorMs, WAIT_AND_FIRST_TOKEN_MS + maxTokens * SLOWEST_MS_PER_TOKEN);
}
