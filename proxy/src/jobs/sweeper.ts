// Periodic upkeep (app.ts runs it every second): expire stale quotes, end waits past their deadline, fail
// over running jobs past a deadline (lease, progress, run time cap), move the queue (queue.ts). Each job is handled in
// its own transaction; a pass looks at 500 of each at most.
import type { Config } from '../config';
import type { Db } from '../db';
import type { Dispatcher } from './dispatch';
import { lapseReason } from './progress';
import type { JobQueue } from './queue';
import {
  deleteExpiredQuotes,
  dropSealedPayloads,
  expiredQuotes,
  lapsedJobs,
  lockJob,
  markExpired,
} from './repository';
import { releaseHold } from './settlement';
import type { WorkerRegistry } from './worker-registry';

export class Sweeper {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly workers: WorkerRegistry,
    private readonly dispatcher: Dispatcher,
    private readonly queue: JobQueue,
  ) {}

  async sweep(): Promise<void> {
    await this.expireQuotes();
    // A job waits for a rig until its wait deadline; a running one is never timed out here: its progress
    // deadlines and run time cap bound it (jobs/progress.ts), so a slow rig that produces keeps it.
    await this.queue.expireWaits();
    await this.failOverLapsedJobs();
    // Rigs that came online, or slots another proxy freed: the line moves; jobs no live rig is left for fail.
    await this.queue.kick(true);
    await this.dispatcher.pruneSent();
    // Audits of finished jobs (which need the envelope) would have to close before this; there are none yet.
    await dropSealedPayloads(this.db, this.config.SEALED_RETENTION_MS);
  }

  /**
   * A quote not submitted in time is deleted (it took no money). Quotes from before holds moved to submit
   * still hold money: those expire and give it back.
   */
  private async expireQuotes(): Promise<void> {
    await deleteExpiredQuotes(this.db);
    for (const id of await expiredQuotes(this.db)) {
      await this.db.tx(async (q) => {
        const job = await lockJob(q, id);
        if (job?.state !== 'quoted') return;
        await markExpired(q, id);
        await releaseHold(q, job, 'expire');
      });
    }
  }

  /**
   * A running job past its lease, its progress deadline (no first token, or no progress between tokens) or
   * its run time cap is cancelled on its rig and goes to the next candidate; the rig counts a failure.
   */
  private async failOverLapsedJobs(): Promise<void> {
    for (const { id, rig_id, lapse } of await lapsedJobs(this.db)) {
      const reason = lapseReason(lapse);
      this.workers.get(rig_id)?.send({ type: 'cancel', jobId: id, reason });
      await this.dispatcher.failover(id, rig_id, reason, true);
    }
  }
}
