// Jobs from quote to settlement. The proxy moves sealed envelopes and money; it never reads job text.
//
//   quoted ──submit──▶ queued ──assign──▶ running ──done──▶ done (charged, rig paid, fee taken, rest released)
//     │                  ▲ │                 │
//     └─expire─▶ expired │ └─ waits in line while every candidate is busy (queue.ts): its wait deadline
//                        │    passed or cancelled ──▶ failed (hold released in full)
//                        └──── failover ─────┘ (rig failed, disconnected or let its lease lapse)
//                               no candidate left ──▶ failed (hold released in full)
//
// This is the facade the routes and the worker channel call. The work is done in:
//   quotes.ts      quotes (hold taken), submissions, reading jobs back
//   dispatch.ts    claiming a rig, the assign message, chunks from the rig, failover, hand-over to other proxies
//   queue.ts       jobs waiting for a free slot: first come first served, bounds, places, wait deadlines
//   settlement.ts  holds, the receipt check and the ledger posting of a done job, releases
//   sweeper.ts     periodic upkeep: quote expiry, timeouts, lapsed leases, queued retries
//   repository.ts  the SQL on the jobs table
//   cluster.ts     several proxies on one PostgreSQL (LISTEN/NOTIFY)
import type { JobEvent, JobView, QuoteResponse, WorkerToProxy } from '@cocoon/shared';
import { formatTon } from '@cocoon/shared';
import type { Logger } from '@cocoon/shared/node';
import type { Config } from '../config';
import type { Db } from '../db';
import type { SettledJob } from '../metrics';
import type { Cluster } from './cluster';
import { Dispatcher } from './dispatch';
import { doneEventOf, type JobEventHub } from './events';
import { toJobView } from './job-row';
import { JobQueue } from './queue';
import { type QuoteInput, Quotes, type SubmitInput } from './quotes';
import { insertReport, jobById, recordProgress, renewLeases } from './repository';
import { type DoneMsg, settleDone } from './settlement';
import { Sweeper } from './sweeper';
import type { WorkerRegistry } from './worker-registry';

export class JobService {
  private readonly dispatcher: Dispatcher;
  private readonly quotes: Quotes;
  private readonly sweeper: Sweeper;
  private readonly queue: JobQueue;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly hub: JobEventHub,
    workers: WorkerRegistry,
    private readonly log: Logger,
    private readonly cluster: Cluster,
    instanceId: string,
    /** Told of each job this proxy settles (the metrics' latency histograms). */
    private readonly onSettled: (job: SettledJob) => void = () => {},
    /** The attestation policy's "model:digest" pairs for the `tdx` tier (null: any digest). */
    tdxModelDigests: string[] | null = null,
  ) {
    const emit = (jobId: string, event: JobEvent) => this.emit(jobId, event);
    this.dispatcher = new Dispatcher(db, config, workers, log, cluster, instanceId, emit);
    this.queue = new JobQueue(db, config, this.dispatcher, emit);
    this.dispatcher.onSlotFreed = () => this.moveQueue();
    this.quotes = new Quotes(db, config, this.dispatcher, emit, tdxModelDigests, () => this.moveQueue());
    this.sweeper = new Sweeper(db, config, workers, this.dispatcher, this.queue);
  }

  /** Joins the other proxies on the same PostgreSQL (no-op on PGlite). */
  async startCluster(): Promise<void> {
    await this.cluster.start({
      onAssign: (jobId) => this.dispatcher.sendAssign(jobId),
      onEvent: async (jobId, event) => {
        if (event.type !== 'done' || !('fromDb' in event)) return this.hub.publish(jobId, event as JobEvent);
        const job = await jobById(this.db, jobId);
        const done = job && doneEventOf(toJobView(job));
        if (done) this.hub.publish(jobId, done);
      },
      backlog: (jobId) => this.hub.backlog(jobId),
    });
  }

  /** An SSE stream for this job opened here: have the other proxies relay its events to us. */
  async watch(jobId: string): Promise<void> {
    await this.cluster.requestWatch(jobId);
  }

  /** Publishes a job event to this process's SSE subscribers and to the other proxies'. */
  private emit(jobId: string, event: JobEvent): void {
    this.hub.publish(jobId, event);
    this.cluster
      .relay(jobId, event)
      .catch((err) => this.log.error({ err, jobId }, 'relaying a job event failed'));
  }

  quote(userId: string, apiKeyId: string | null, req: QuoteInput): Promise<QuoteResponse> {
    return this.quotes.quote(userId, apiKeyId, req);
  }

  submit(userId: string, req: SubmitInput): Promise<JobView> {
    return this.quotes.submit(userId, req);
  }

  view(userId: string, jobId: string): Promise<JobView> {
    return this.quotes.view(userId, jobId);
  }

  listForUser(userId: string, limit = 50): Promise<JobView[]> {
    return this.quotes.listForUser(userId, limit);
  }

  /** Sends a queued job on. Claimed with SKIP LOCKED, so two proxies never dispatch it. */
  async dispatch(jobId: string): Promise<void> {
    await this.dispatcher.dispatch(jobId);
  }

  /** A slot may have freed, or the line changed: free slots go to the oldest waiting jobs (queue.ts). */
  private moveQueue(): void {
    this.queue.kick().catch((err) => this.log.error({ err }, 'moving the queue failed'));
  }

  /** Cancels the user's job while it waits for a rig: it fails and its hold goes back at once. */
  async cancel(userId: string, jobId: string): Promise<JobView> {
    await this.queue.cancel(userId, jobId);
    return this.quotes.view(userId, jobId);
  }

  /** A waiting job's place in line, as a `queued` event (null when it isn't waiting). */
  placeOf(jobId: string): Promise<JobEvent | null> {
    return this.queue.placeOf(jobId);
  }

  /** Streams a sealed chunk on to the client, if `rigId` is the rig we sent the job to. */
  handleChunk(rigId: string, msg: Extract<WorkerToProxy, { type: 'chunk' }>): void {
    this.dispatcher.handleChunk(rigId, msg);
  }

  /** A client says the job's result broke its rig's commitment: kept (once) for audits. */
  async report(userId: string, jobId: string, reason: string): Promise<void> {
    await this.quotes.view(userId, jobId); // 404 unless it is the caller's job
    await insertReport(this.db, jobId, userId, reason);
  }

  /** Checks the receipt and settles; a bad receipt fails the job over to the next candidate. */
  /** A rig's result and receipt. True when the job was settled (and so may be audited). */
  async handleDone(rigId: string, msg: DoneMsg): Promise<boolean> {
    this.dispatcher.forgetSent(msg.jobId, rigId);
    const outcome = await settleDone(this.db, rigId, msg, this.config);
    if (outcome.kind === 'settled') {
      this.emit(msg.jobId, {
        type: 'done',
        rigId,
        result: msg.result,
        commitment: msg.receipt.commitment,
        costNano: outcome.charge.totalNano.toString(),
        promptTokens: msg.receipt.promptTokens,
        completionTokens: msg.receipt.completionTokens,
      });
      this.log.info(
        {
          jobId: msg.jobId,
          model: outcome.model,
          tokens: outcome.tokens,
          cost: `${formatTon(outcome.charge.totalNano)} TON`,
          ms: outcome.ms,
        },
        'job done',
      );
      this.onSettled({ model: outcome.model, totalMs: outcome.ms, runMs: outcome.runMs });
      this.moveQueue(); // the rig's slot is free
    } else if (outcome.kind === 'invalid') {
      this.log.warn({ jobId: msg.jobId, rigId, problem: outcome.problem }, 'rejected a usage receipt');
      await this.dispatcher.failover(msg.jobId, rigId, `invalid receipt: ${outcome.problem}`, true);
    }
    return outcome.kind === 'settled';
  }

  /**
   * Takes a job away from a rig that failed it and sends it to the next candidate. With `retryable` false
   * (the job itself is bad: too long, malformed), the job fails and the hold goes back in full.
   */
  failover(jobId: string, rigId: string, reason: string, retryable: boolean): Promise<void> {
    return this.dispatcher.failover(jobId, rigId, reason, retryable);
  }

  /** A rig's socket closed: every job it was running goes to the next candidate. */
  rigGone(rigId: string): Promise<void> {
    return this.dispatcher.rigGone(rigId);
  }

  /**
   * A heartbeat renews the leases of the jobs the rig holds (running, or, from an older worker, waiting in
   * its own queue: the proxy gives a rig jobs only into free slots, so the first-token deadline takes a job
   * a rig holds without starting it), and moves the progress deadline of each running job whose tokens done
   * grew (jobs/progress.ts).
   */
  async heartbeat(rigId: string, beat: Extract<WorkerToProxy, { type: 'heartbeat' }>): Promise<void> {
    const held = [...beat.running, ...beat.queued];
    if (held.length) await renewLeases(this.db, rigId, held, this.config.LEASE_MS);
    // Only jobs the rig says it runs can progress: a queued job's count is ignored.
    const running = new Set(beat.running);
    const progress = beat.progress.filter((p) => running.has(p.jobId));
    if (progress.length) await recordProgress(this.db, rigId, progress, this.config.TOKEN_GAP_MS);
  }

  /** Periodic upkeep: expire stale quotes, fail over jobs past a deadline, time out waiting ones, retry. */
  sweep(): Promise<void> {
    return this.sweeper.sweep();
  }
}
