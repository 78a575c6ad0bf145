// The queue: a job whose candidate rigs are all busy waits for a free slot instead of being refused.
//
// - It is database state: a waiting job is a 'queued' row with its place in line (submitted_at) and its wait
//   deadline, so a restart or another proxy on the same PostgreSQL goes on from where it stood. Claims take
//   a rig's slot lock (queue-repository.ts lockRigSlots), so no rig is given more jobs than its slots by the
//   proxy's own count of its running jobs: a rig can't pose as busy by hoarding jobs, and one that claims a
//   job and never starts it loses it at the first-token deadline (progress.ts) and counts a failure.
// - In turns, then first come, first served per model: every user's first waiting job goes before anyone's
//   second (queue-repository.ts WAITING_IN_TURN); a new job goes behind those already waiting; whenever a slot may
//   have freed (a job ended or left a rig, a rig came online: the sweeper's pass) `kick` gives free slots to
//   the first waiting jobs in line whose candidates they are (a job's envelope is sealed to its candidates only).
// - Bounded: MAX_QUEUE_PER_MODEL jobs per model (503 `queue_full`; a user's first, to twice that), MAX_QUEUED_PER_USER per user (429
//   `queue_cap`), one for a user paying from an on-chain account (onchain-accounts/payer.ts refuseWhileJobOpen counts
//   waiting jobs). Each wait ends at its deadline (QUEUE_WAIT_MS, or less as the client asked), failing the
//   job with its hold released; the client may cancel a waiting job, which releases the hold at once.
// - The client sees its place: a `queued` event whenever it moves.
import type { JobEvent } from '@cocoon/shared';
import type { Config } from '../config';
import type { Db, Queryable } from '../db';
import { conflict, HttpError, notFound } from '../errors';
import type { Dispatcher, EmitJobEvent } from './dispatch';
import type { JobRow } from './job-row';
import {
  anyWaiting,
  lockQueueBounds,
  queueCounts,
  queuePlaces,
  waitedTooLong,
  waitingForNoRig,
  waitingWithFreeRig,
} from './queue-repository';
import { lockJob } from './repository';
import { failJob } from './settlement';

/** The wait a job gets: the client's ask, never more than QUEUE_WAIT_MS nor JOB_TIMEOUT_MS. */
export function maxWaitFor(config: Pick<Config, 'QUEUE_WAIT_MS' | 'JOB_TIMEOUT_MS'>, asked?: number): number {
  return Math.min(asked ?? config.QUEUE_WAIT_MS, config.QUEUE_WAIT_MS, config.JOB_TIMEOUT_MS);
}

/**
 * A job about to wait (in the submit's transaction, which rolls back with its hold on a refusal): refused
 * when it asked not to wait, when its user has MAX_QUEUED_PER_USER jobs waiting, or when its model's
 * line is full.
 */
export async function checkQueueRoom(
  q: Queryable,
  config: Pick<Config, 'MAX_QUEUED_PER_USER' | 'MAX_QUEUE_PER_MODEL'>,
  job: JobRow,
  maxWaitMs: number,
): Promise<void> {
  if (maxWaitMs === 0)
    throw new HttpError(
      503,
      'no_free_rig',
      'every candidate rig is busy and the job asked not to wait (maxWaitMs 0); ask again later, or allow a wait',
    );
  await lockQueueBounds(q, job.user_id, job.model);
  const n = await queueCounts(q, job.user_id, job.model, job.id);
  if (n.user >= config.MAX_QUEUED_PER_USER)
    throw new HttpError(
      429,
      'queue_cap',
      `you have ${n.user} jobs waiting for a rig, the most one user may (MAX_QUEUED_PER_USER); wait for one to start, or cancel one`,
    );
  // Fair to each user, not first come: past MAX_QUEUE_PER_MODEL a user with nothing waiting for the model
  // still gets their first job in (up to twice the bound), where it waits its turn (queue-repository.ts
  // WAITING_IN_TURN). Otherwise MAX_QUEUE_PER_MODEL / MAX_QUEUED_PER_USER Sybil accounts (32 by default),
  // their holds paid by the trial credit and given back, would refuse everyone else's jobs.
  if (n.model >= 2 * config.MAX_QUEUE_PER_MODEL || (n.model >= config.MAX_QUEUE_PER_MODEL && n.userModel > 0))
    throw new HttpError(
      503,
      'queue_full',
      `the queue for ${job.model} is full: ${n.model} jobs are waiting for a rig (MAX_QUEUE_PER_MODEL); try again later`,
    );
}

export function waitExpiredReason(maxWaitMs: number | null): string {
  return maxWaitMs === null
    ? 'the job timed out'
    : `no candidate rig had a free slot within the job's wait deadline (${Math.round(maxWaitMs / 1000)} s in the queue)`;
}

export class JobQueue {
  /** The place last told to each waiting job's subscribers (here), to send `queued` only when it moves. */
  private readonly told = new Map<string, number>();
  private kicking = false;
  private again = false;
  private againSweep = false;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly dispatcher: Dispatcher,
    private readonly emit: EmitJobEvent,
  ) {}

  /**
   * Moves the line: free slots go to the first waiting jobs in line that may run on them, then every waiting job
   * hears its place if it moved. `sweep` (the sweeper's pass) also fails the waiting jobs no live rig is left
   * for. Kicks in one process run one at a time (a kick asked for meanwhile runs once more after).
   */
  async kick(sweep = false): Promise<void> {
    if (this.kicking) {
      this.again = true;
      this.againSweep ||= sweep;
      return;
    }
    this.kicking = true;
    try {
      for (let first = true; first || this.again; first = false) {
        sweep ||= this.againSweep;
        this.again = false;
        this.againSweep = false;
        // Nothing waits, nobody was told a place: the common case costs one index probe.
        if (this.told.size === 0 && !(await anyWaiting(this.db))) continue;
        const seenWithinMs = this.config.HEARTBEAT_MS * 3;
        if (sweep)
          for (const id of await waitingForNoRig(this.db, seenWithinMs)) await this.dispatcher.dispatch(id);
        const tried: string[] = [];
        for (;;) {
          const [next] = await waitingWithFreeRig(this.db, seenWithinMs, tried);
          if (!next) break;
          tried.push(next);
          await this.dispatcher.dispatch(next);
        }
        await this.tellPlaces();
        sweep = false;
      }
    } finally {
      this.kicking = false;
    }
  }

  /** Sends `queued` with its place to each waiting job whose place changed since last told. */
  private async tellPlaces(): Promise<void> {
    const places = await queuePlaces(this.db);
    const waiting = new Set<string>();
    for (const p of places) {
      waiting.add(p.id);
      if (this.told.get(p.id) === p.position) continue;
      this.told.set(p.id, p.position);
      this.emit(p.id, queuedEvent(p.position, p.waitDeadline));
    }
    for (const id of this.told.keys()) if (!waiting.has(id)) this.told.delete(id);
  }

  /** A waiting job's `queued` event now (for a stream that opens while it waits), or null. */
  async placeOf(jobId: string): Promise<JobEvent | null> {
    const [p] = await queuePlaces(this.db, jobId);
    return p ? queuedEvent(p.position, p.waitDeadline) : null;
  }

  /** Waits past their deadline fail (hold released) with a reason that says so. */
  async expireWaits(): Promise<void> {
    for (const { id, max_wait_ms } of await waitedTooLong(this.db, this.config.JOB_TIMEOUT_MS)) {
      const reason = waitExpiredReason(max_wait_ms);
      const failed = await this.db.tx(async (q) => {
        const job = await lockJob(q, id);
        if (job?.state !== 'queued') return false;
        await failJob(q, job, reason);
        return true;
      });
      if (failed) this.emit(id, { type: 'failed', reason });
    }
  }

  /** Cancels the user's waiting job: it fails and its hold goes back at once. */
  async cancel(userId: string, jobId: string): Promise<void> {
    const reason = 'cancelled by the user while waiting for a rig';
    await this.db.tx(async (q) => {
      const job = await lockJob(q, jobId);
      if (!job || job.user_id !== userId) throw notFound('no such job');
      if (job.state === 'running')
        throw conflict('the job is running on a rig and can no longer be cancelled', 'job_running');
      if (job.state !== 'queued')
        throw conflict(`the job is ${job.state}, not waiting for a rig`, 'not_waiting');
      await failJob(q, job, reason);
    });
    this.emit(jobId, { type: 'failed', reason });
    void this.kick().catch(() => {});
  }
}

function queuedEvent(position: number, waitDeadline: Date | null): JobEvent {
  return { type: 'queued', position, waitDeadline: waitDeadline?.toISOString() ?? null };
}
