// The rig's job slots: the jobs and audits the proxy gave it, run in up to `slots` at once, with what the
// heartbeat reports of them and the counters the status line shows (connection.ts owns the socket).
import type { AssignMessage, AuditMessage, WorkerToProxy } from '@cocoon/shared';
import { runAudit, unableVerdict } from './audit-runner';
import type { WorkerLogger } from './connection';
import { type JobOutcome, runAssignedJob } from './job-runner';
import type { RigKeys } from './keys';
import type { Model } from './models/index';

/** The proxy's heartbeat message carries at most this many job ids. */
const MAX_TRACKED_JOBS = 64;
/** Audits of other rigs' jobs this rig runs at once. */
const MAX_AUDITS_AT_ONCE = 2;

interface RunningJob {
  controller: AbortController;
  done: Promise<void>;
  /** Tokens done so far (the engine's count), reported in each heartbeat. */
  tokens: number;
  /** Cancelled by the proxy: no longer this rig's (its slot is free) while the engine unwinds it. */
  cancelled?: boolean;
}

export interface JobSlotsDeps {
  keys: RigKeys;
  models: ReadonlyMap<string, Model>;
  slots: number;
  logger: WorkerLogger;
  /** Sends to the proxy over the current socket (dropped when there is none). */
  send(msg: WorkerToProxy): void;
  onChange?: () => void;
}

export class JobSlots {
  readonly running = new Map<string, RunningJob>();
  readonly counters = { jobsDone: 0, jobsFailed: 0, promptTokens: 0, completionTokens: 0, runMs: 0 };
  private auditsRunning = 0;

  constructor(private readonly deps: JobSlotsDeps) {}

  private send(msg: WorkerToProxy): void {
    this.deps.send(msg);
  }

  fail(jobId: string, reason: string, retryable: boolean): void {
    this.send({ type: 'fail', jobId, reason, retryable });
  }

  /**
   * Aborts every running job and frees its slot at once (as a cancel does): on a lost connection the proxy
   * has failed them over and counts the slots free, so the jobs it gives on the reconnect must not be
   * refused as busy while the engine unwinds the aborted ones.
   */
  abortAll(reason: string): void {
    for (const job of this.running.values()) {
      job.cancelled = true;
      job.controller.abort(new Error(reason));
    }
  }

  /** Waits for the running jobs (at most `drainMs`), then fails back to the proxy those still running. */
  async drain(drainMs: number): Promise<void> {
    const all = Promise.all([...this.running.values()].map((j) => j.done));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, drainMs)))]);
    clearTimeout(timer);
    for (const [jobId, job] of this.running) {
      job.controller.abort(new Error('shutdown'));
      this.fail(jobId, 'the rig shut down before the job finished', true);
    }
  }

  /** Starts an assigned job in a free slot, or says why not. */
  assign(msg: AssignMessage, rigId: string | null, stopping: boolean): void {
    if (!rigId) {
      this.fail(msg.jobId, 'the rig has not been welcomed yet', true);
    } else if (stopping) {
      this.fail(msg.jobId, 'the rig is shutting down', true);
    } else if (this.running.has(msg.jobId) && !this.running.get(msg.jobId)?.cancelled) {
      // A repeated assign for a job already here: nothing to do.
    } else if (this.slotsInUse() < this.deps.slots) {
      this.startJob(msg, rigId);
    } else {
      // The proxy counts a rig's running jobs and assigns only into free slots (its queue holds the rest),
      // so this is a race at most: the job goes to the next candidate.
      this.fail(msg.jobId, `the rig is busy: all ${this.deps.slots} slots are running`, true);
    }
  }

  /**
   * Audits run beside the job slots (a scoring pass is short), a few at a time; past that, or while stopping,
   * the rig says it can't, and the proxy asks no one else's opinion of it.
   */
  audit(msg: AuditMessage, rigId: string | null, stopping: boolean): void {
    if (!rigId) return;
    const deps = { rigId, keys: this.deps.keys, models: this.deps.models };
    if (stopping || this.auditsRunning >= MAX_AUDITS_AT_ONCE) {
      this.send(unableVerdict(msg, deps, stopping ? 'the rig is shutting down' : 'the rig is busy'));
      return;
    }
    this.auditsRunning++;
    void runAudit(msg, deps)
      .then((verdict) => {
        this.send(verdict);
        this.deps.logger.info({ jobId: msg.jobId, outcome: verdict.outcome }, 'audit done');
      })
      .finally(() => {
        this.auditsRunning--;
      });
  }

  /**
   * A cancelled job frees its slot at once, though the engine may take a step to unwind it: the proxy
   * already counts the slot free and may give it the next job.
   */
  cancel(jobId: string): void {
    const job = this.running.get(jobId);
    if (!job) return;
    job.cancelled = true;
    job.controller.abort(new Error('cancelled'));
    this.deps.onChange?.();
  }

  /** Slots taken: running jobs the proxy has not cancelled. */
  private slotsInUse(): number {
    let n = 0;
    for (const job of this.running.values()) if (!job.cancelled) n++;
    return n;
  }

  /**
   * What the heartbeat says: the jobs started, with their tokens done (the proxy's deadlines measure
   * progress). The rig holds no others: the proxy gives it jobs only into free slots.
   */
  heartbeat(): Extract<WorkerToProxy, { type: 'heartbeat' }> {
    const running = [...this.running].filter(([, j]) => !j.cancelled).slice(0, MAX_TRACKED_JOBS);
    return {
      type: 'heartbeat',
      running: running.map(([id]) => id),
      queued: [],
      progress: running.filter(([, j]) => j.tokens > 0).map(([jobId, j]) => ({ jobId, tokens: j.tokens })),
    };
  }

  private startJob(msg: AssignMessage, rigId: string): void {
    const controller = new AbortController();
    const deps = { rigId, keys: this.deps.keys, models: this.deps.models };
    const job: RunningJob = { controller, done: Promise.resolve(), tokens: 0 };
    const onProgress = (tokens: number) => {
      job.tokens = tokens;
    };
    job.done = runAssignedJob(msg, deps, (m) => this.send(m), controller.signal, onProgress)
      .catch((err): JobOutcome => {
        // runAssignedJob answers every error itself; this only guards against a bug in it.
        this.deps.logger.error({ jobId: msg.jobId, err: String(err).slice(0, 200) }, 'job runner crashed');
        if (!controller.signal.aborted) this.fail(msg.jobId, 'the rig failed the job', true);
        return { kind: 'failed', reason: 'crash', retryable: true };
      })
      .then((outcome) => this.onJobEnd(msg.jobId, outcome, msg.model, job));
    this.running.set(msg.jobId, job);
    this.deps.onChange?.();
  }

  private onJobEnd(jobId: string, outcome: JobOutcome, model: string, job: RunningJob): void {
    // A cancelled job given again (a new assign for it) runs under its own entry: leave that one be.
    if (this.running.get(jobId) === job) this.running.delete(jobId);
    const c = this.counters;
    if (outcome.kind === 'done') {
      c.jobsDone++;
      c.promptTokens += outcome.promptTokens;
      c.completionTokens += outcome.completionTokens;
      c.runMs += outcome.runMs;
      this.deps.logger.info(
        {
          jobId,
          model,
          promptTokens: outcome.promptTokens,
          completionTokens: outcome.completionTokens,
          ms: Math.round(outcome.runMs),
        },
        'job done',
      );
    } else if (outcome.kind === 'failed') {
      c.jobsFailed++;
      this.deps.logger.warn({ jobId, reason: outcome.reason, retryable: outcome.retryable }, 'job failed');
    } else {
      this.deps.logger.info({ jobId }, 'job stopped (cancelled, disconnected or shutting down)');
    }
    this.deps.onChange?.();
  }
}
