// A rig's standing in the market: failures in a row cool a rig down (it gets no quotes for a while), and a
// settled job clears the count, unless its own owner paid for it (jobs/repository.ts markDoneAndCountForRig):
// self-dealing counts for nothing, so a rig can't stay out of cool-down, or end its probation, on its owner's
// own free jobs. One module per rig's standing, that reputation and audits extend.
//
// Every way a rig can lose a job counts: it said fail, it disconnected, its lease lapsed (a stall), it
// streamed past the job's budget, or its receipt was invalid; so does an audit it never answered
// (audits/service.ts sweep). After RIG_COOLDOWN_AFTER_FAILURES of those in a row the rig is out of quotes
// for RIG_COOLDOWN_MS, and its count starts again.
//
// Except a refusal the client may have caused: "your input is invalid" (a body sealed with more maxTokens than
// quoted, a longer prompt, another kind) or "could not open the envelope" (a garbage key). Any user can make
// every honest rig refuse such a job, so counting it at once would let a user cool down any rig, the
// operator's anchor included, for free. It is remembered on the job (deferRigFailure) and counts only when
// the job is then done on another rig, which proves the input was fine (recordDeferredFailures); a job that
// fails everywhere cools nobody down for it. The operator's rigs still audit while cooling down: a cool-down
// takes them off the jobs, never out of the anchor draw or the auditor choice (market/candidates.ts).
import type { Queryable } from '../db';
import { addInputRefusal, countRigFailure, refusersToCount } from './standing-repository';

export interface StandingLimits {
  RIG_COOLDOWN_AFTER_FAILURES: number;
  RIG_COOLDOWN_MS: number;
}

/** A rig lost a job it was running. Call inside the transaction that moves the job on. */
export async function recordRigFailure(q: Queryable, rigId: string, limits: StandingLimits): Promise<void> {
  await countRigFailure(q, rigId, limits.RIG_COOLDOWN_AFTER_FAILURES, limits.RIG_COOLDOWN_MS);
}

/** The rig's failure says the client may have caused it: bad input, or an envelope it could not open. */
export function clientMayHaveCaused(reason: string, retryable: boolean): boolean {
  return !retryable || /could not open the envelope/.test(reason);
}

/** A refusal the client may have caused: kept on the job, counted only if another rig then does the job. */
export async function deferRigFailure(q: Queryable, jobId: string, rigId: string): Promise<void> {
  await addInputRefusal(q, jobId, rigId);
}

/** The job is done: every rig that refused it as bad input, or couldn't open it, failed it after all. */
export async function recordDeferredFailures(
  q: Queryable,
  jobId: string,
  limits: StandingLimits,
): Promise<void> {
  // Not when the rig that did it is its payer's own: a user "doing" its own bad-input jobs on its own rig
  // would otherwise cool down the honest rigs tried before it (self-dealing counts for nothing).
  for (const rigId of await refusersToCount(q, jobId)) await recordRigFailure(q, rigId, limits);
}
