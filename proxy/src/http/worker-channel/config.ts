// The proxy's worker channel: the protocols a rig may speak, how soon it must say hello, and what its
// socket may send. Merged by config.ts into the proxy's one config.
import { envInt } from '@cocoon/shared';
import { z } from 'zod';

export const workerChannelEnv = z.object({
  /**
   * The oldest worker protocol a rig may say hello with. Protocol 1 results carry no token ids, so auditors
   * can't check their completion count (an overcount is 'unable', never 'fail'): raise to 2 once rigs run a
   * worker that speaks it, and a rig can no longer dodge the id checks by downgrading.
   */
  MIN_WORKER_PROTOCOL: envInt(1, { min: 1, max: 2 }),
  /** A worker socket must say a valid hello within this long of its upgrade (frames before it don't extend it). */
  HELLO_TIMEOUT_MS: envInt(5_000, { min: 100, max: 120_000 }),
  /** What one rig's socket may send: a sustained rate, a burst, and bytes waiting to be handled. */
  RIG_BYTES_PER_S: envInt(4 * 1024 * 1024, { min: 1024 }),
  RIG_BURST_BYTES: envInt(16 * 1024 * 1024, { min: 1024 }),
  RIG_MAX_QUEUED_BYTES: envInt(16 * 1024 * 1024, { min: 1024 }),
});
