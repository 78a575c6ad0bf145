// The proxy's jobs: the platform fee, envelope size, quotes, leases and heartbeats, the queue, retention and
// the deadlines that measure progress. Merged by config.ts into the proxy's one config.
import { envInt } from '@cocoon/shared';
import { z } from 'zod';

export const jobsEnv = z.object({
  FEE_BPS: envInt(1000, { min: 0, max: 10_000 }),
  MAX_ENVELOPE_BYTES: envInt(1_048_576, { min: 1024 }),
  QUOTE_TTL_MS: envInt(60_000),
  LEASE_MS: envInt(30_000),
  HEARTBEAT_MS: envInt(5_000),
  /**
   * How long a job may wait for a rig (from its submit, or from the failover that put it back in line)
   * before it fails. It never ends a running job: a rig producing it is bounded by the deadlines below
   * instead, so a slow rig that keeps producing is never cut by a total time (jobs/progress.ts).
   */
  JOB_TIMEOUT_MS: envInt(300_000),
  /**
   * The queue (jobs/queue.ts): a job whose candidate rigs are all busy waits for a free slot this long at
   * most (a client may ask for less with `maxWaitMs`; JOB_TIMEOUT_MS bounds it too), then fails saying so.
   */
  QUEUE_WAIT_MS: envInt(120_000),
  /** Jobs waiting for a rig per model, at most: past it a submit is refused (503 `queue_full`). */
  MAX_QUEUE_PER_MODEL: envInt(256),
  /** Jobs one user may have waiting for a rig at once: past it a submit is refused (429 `queue_cap`). */
  MAX_QUEUED_PER_USER: envInt(8),
  /** Finished jobs' sealed envelopes and results are dropped this long after the job ended (24 h). */
  SEALED_RETENTION_MS: envInt(86_400_000),
  /**
   * Deadlines that measure progress (jobs/progress.ts), from the tokens done each heartbeat reports. A rig
   * that misses one loses the job to the next candidate and counts a failure (as a lapsed lease does).
   * First token: FIRST_TOKEN_BASE_MS + input tokens × FIRST_TOKEN_MS_PER_INPUT_TOKEN from the claim (a rig is
   * given a job only into a free slot, so it starts at once).
   */
  FIRST_TOKEN_BASE_MS: envInt(30_000),
  FIRST_TOKEN_MS_PER_INPUT_TOKEN: envInt(25, { min: 0 }),
  /**
   * Between tokens: each report that grows the job's tokens done moves its deadline to TOKEN_GAP_MS later.
   * Progress arrives with heartbeats, so keep it well above HEARTBEAT_MS.
   */
  TOKEN_GAP_MS: envInt(20_000),
  /**
   * The run time cap, against a rig that reports progress it never delivers: the first-token allowance +
   * max tokens × RUN_CAP_MS_PER_TOKEN (the slowest rate the market accepts; 1,000: 1 token/s) from the claim.
   */
  RUN_CAP_MS_PER_TOKEN: envInt(1_000),
});
