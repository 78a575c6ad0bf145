// Deadlines that measure progress. A running job is lost only when its rig stops making progress, never
// because the rig is slow:
//   first token    FIRST_TOKEN_BASE_MS + input tokens × FIRST_TOKEN_MS_PER_INPUT_TOKEN after the claim;
//   between tokens TOKEN_GAP_MS after each heartbeat whose tokens done for the job grew;
//   run time cap   the first-token allowance + max tokens × RUN_CAP_MS_PER_TOKEN after the claim.
// Streamed chunks are no measure of progress (a summarizer emits only at the end, the text stream holds back
// partial words), so the rig reports tokens done per job in its heartbeat. Those reports are the rig's word:
// a count moves the deadline only when it grows and stays within the job's max tokens, heartbeats are
// handled at most four per HEARTBEAT_MS (http/worker-channel/messages.ts), and the cap bounds a rig that reports
// progress it never delivers. A job the rig holds but has not started reports none.
//
// The job timeout (JOB_TIMEOUT_MS) bounds waiting for a rig only, and the clients' timeouts grow with max
// tokens: a job runs on at most its (three) candidates, each attempt bounded by the cap, so a job always
// ends; a total time counted from creation would cut a slow rig that is producing.
import type { Config } from '../config';

type DeadlineConfig = Pick<
  Config,
  'FIRST_TOKEN_BASE_MS' | 'FIRST_TOKEN_MS_PER_INPUT_TOKEN' | 'TOKEN_GAP_MS' | 'RUN_CAP_MS_PER_TOKEN'
>;

/** Milliseconds from the claim to the first progress a rig must report for a job with this prompt. */
export function firstTokenMs(config: DeadlineConfig, inputTokens: number): number {
  return config.FIRST_TOKEN_BASE_MS + inputTokens * config.FIRST_TOKEN_MS_PER_INPUT_TOKEN;
}

/** Milliseconds from the claim after which a rig loses the job whatever it reports: the run time cap. */
export function runCapMs(config: DeadlineConfig, inputTokens: number, maxTokens: number): number {
  return firstTokenMs(config, inputTokens) + maxTokens * config.RUN_CAP_MS_PER_TOKEN;
}

/** Why the sweeper took a job from its rig (jobs/repository.ts lapsedJobs says which deadline passed). */
export type Lapse = 'cap' | 'first-token' | 'between-tokens' | 'lease';

export function lapseReason(lapse: Lapse): string {
  switch (lapse) {
    case 'cap':
      return 'the job ran past its run time cap';
    case 'first-token':
      return 'no first token by the first-token deadline';
    case 'between-tokens':
      return 'no progress by the between-token deadline';
    case 'lease':
      return 'the lease expired';
  }
}
