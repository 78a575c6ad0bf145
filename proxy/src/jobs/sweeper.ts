// Periodic upkeep (app.ts runs it every second): expire stale quotes, time out jobs, fail over lapsed
// leases, retry queued jobs. Each job is handled in its own transaction; a pass looks at 500 of each at most.
import type { Config } from '../config';
import type { Db } from '../db';
import type { WorkerRegistry } from '../ws/registry';
import type { Dispatcher, EmitJobEvent } from './dispatch';
import {
  deleteExpiredQuotes,
  dropSealedPayloads,
  expiredQuotes,
  lapsedLeases,
  lockJob,
  markExpired,
  queuedJobs,
  timedOutJobs,
} from './repository';
import { failJob, releaseHold } from './settlement';

export class Sweeper {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly workers: WorkerRegistry,
    private readonly dispatcher: Dispatcher,
    private readonly emit: EmitJobEvent,
  ) {}

  async sweep(): Promise<void> {
    await this.expireQuotes();
    await this.timeOutJobs();
    await this.failOverLapsedLeases();
    for (const id of await queuedJobs(this.db)) await this.dispatcher.dispatch(id);
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

  /** A job still queued or running after JOB_TIMEOUT_MS fails, and its rig is told to stop. */
  private async timeOutJobs(): Promise<void> {
    for (const { id, rig_id } of await timedOutJobs(this.db, this.config.JOB_TIMEOUT_MS)) {
      const failed = await this.db.tx(async (q) => {
        const job = await lockJob(q, id);
        if (!job || (job.state !== 'queued' && job.state !== 'running')) return false;
        await failJob(q, job, 'the job timed out');
        return true;
      });
      if (failed) {
        this.emit(id, { type: 'failed', reason: 'the job timed out' });
        this.dispatcher.dropSent(id);
        if (rig_id) this.workers.get(rig_id)?.send({ type: 'cancel', jobId: id, reason: 'timed out' });
      }
    }
  }

  /** A running job whose lease lapsed is cancelled on its rig and goes to the next candidate. */
  private async failOverLapsedLeases(): Promise<void> {
    for (const { id, rig_id } of await lapsedLeases(this.db)) {
      this.workers.get(rig_id)?.send({ type: 'cancel', jobId: id, reason: 'lease expired' });
      await this.dispatcher.failover(id, rig_id, 'the lease expired', true);
    }
  }
}
