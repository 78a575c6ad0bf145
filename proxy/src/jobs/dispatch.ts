// Dispatch: a queued job goes to its first reachable candidate with a free slot (claimed in the database, so
// two proxies never send it twice, and a rig never gets more jobs than its slots), then to the rig's socket
// here or to the proxy that holds the rig. With every live candidate busy the job waits in line (queue.ts).
// A rig that fails, disconnects or lets its lease lapse loses the job to the next candidate (failover).
import {
  type JobEvent,
  sealedStreamBudget,
  type submitJobRequest,
  WORKER_CLOSE,
  type WorkerToProxy,
} from '@cocoon/shared';
import type { Logger } from '@cocoon/shared/node';
import type { z } from 'zod';
import { isOperatorRig } from '../bonds/bonds';
import type { Config } from '../config';
import type { Db, Queryable } from '../db';
import { clientMayHaveCaused, deferRigFailure, recordRigFailure } from '../rigs/standing';
import { ownersOf } from '../rigs/standing-repository';
import type { Cluster } from './cluster';
import type { JobRow } from './job-row';
import { firstTokenMs, runCapMs } from './progress';
import { lockRigSlots, rigIsLive, waitInLine } from './queue-repository';
import {
  claimForRig,
  jobById,
  lockJob,
  recordFirstOutput,
  requeue,
  runningOnRig,
  runningRigs,
  type StoredSubmission,
  setCandidates,
  storeSubmission,
} from './repository';
import { failJob } from './settlement';
import type { WorkerRegistry } from './worker-registry';

/** The candidates with the one at `from` moved up to `to` (the others keep their order). */
function promoted<T>(candidates: readonly T[], from: number, to: number): T[] {
  const rest = candidates.filter((_, k) => k !== from);
  return [...rest.slice(0, to), candidates[from], ...rest.slice(to)];
}

/** Publishes a job event to this process's SSE subscribers and to the other proxies'. */
export type EmitJobEvent = (jobId: string, event: JobEvent) => void;

/** A job being submitted: its envelope and idempotency key are stored with the claim. */
export type Submission = {
  envelope: z.output<typeof submitJobRequest>['envelope'];
  bytes: number;
  idempotencyKey: string;
};

export type Claim =
  | { kind: 'assigned'; job: JobRow; holder: string; rigName: string }
  /** Every live candidate is busy: the job waits in line (queue.ts). */
  | { kind: 'waiting' }
  | { kind: 'failed'; reason: string };

/**
 * A job this proxy sent to a rig, and what that attempt has streamed so far against its budget
 * (sealedStreamBudget of the job's maxTokens: at most maxTokens + 16 chunks, and the bytes its token
 * budget's text takes sealed).
 */
interface SentJob {
  rigId: string;
  attempt: number;
  chunks: number;
  bytes: number;
  budget: { maxChunks: number; maxBytes: number };
}

export class Dispatcher {
  /**
   * The rig and attempt of each job this proxy sent out, until it ends here: a chunk from any other rig is
   * dropped without a database read. Kept per rig, not per socket, so a rig that reconnects mid-job goes
   * on streaming. A job another proxy took away lingers until pruneSent (its chunks carry an old attempt,
   * which clients ignore).
   */
  private readonly sent = new Map<string, SentJob>();
  /** Told when a rig may have a free slot again (a job left it): the queue moves (queue.ts kick). */
  onSlotFreed: () => void = () => {};

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly workers: WorkerRegistry,
    private readonly log: Logger,
    private readonly cluster: Cluster,
    private readonly instanceId: string,
    private readonly emit: EmitJobEvent,
  ) {}

  /** Sends a queued job on (see claimRig). Claimed with SKIP LOCKED, so two proxies never dispatch it. */
  async dispatch(jobId: string): Promise<Claim['kind'] | null> {
    const claim = await this.db.tx(async (q) => {
      const job = await lockJob(q, jobId, true);
      if (job?.state !== 'queued' || !job.envelope) return null;
      return this.claimRig(q, job);
    });
    if (claim) await this.afterClaim(jobId, claim);
    return claim?.kind ?? null;
  }

  /**
   * Gives a queued job (its row locked by the caller) to the first candidate, from its current attempt on,
   * that is connected and has a free slot: to this process's socket, or to the proxy that holds the rig.
   * With none free but one live (busy, or reconnecting), the job waits in line; a job being submitted
   * leaves a free rig to the jobs already waiting for it (first come, first served: queue.ts moves the line).
   * With none live, the job fails and its hold goes back.
   */
  async claimRig(q: Queryable, job: JobRow, submitted?: Submission): Promise<Claim> {
    const addressed = new Set((submitted?.envelope ?? job.envelope)?.recipients.map((r) => r.rigId));
    // A job being submitted gets its envelope and idempotency key in the same UPDATE.
    const stored: StoredSubmission = submitted
      ? [JSON.stringify(submitted.envelope), submitted.bytes, submitted.idempotencyKey]
      : [null, null, null];
    const runnable = job.candidates
      .map((c, i) => ({ ...c, i }))
      .filter((c) => c.i >= job.attempt && addressed.has(c.rigId) && !c.auditOnly);
    await lockRigSlots(
      q,
      runnable.map((c) => c.rigId),
    );
    const seenWithinMs = this.config.HEARTBEAT_MS * 3;
    let live = false;
    for (const { rigId, i } of runnable) {
      // Claimed only if the rig is usable, recently seen, reachable (its socket is here, or with several
      // proxies another process holds it) and has a free slot, which a job being submitted leaves to the
      // jobs already waiting for the rig. One statement checks and claims.
      const claimed = await claimForRig(q, {
        jobId: job.id,
        // The rig runs the job as its current attempt: candidates skipped for it (busy, away) stay
        // after it, untried, so they may take the job on a failover and audit it (audits/repository.ts
        // counts the candidates before the attempt as having tried it).
        attempt: job.attempt,
        candidates: i === job.attempt ? null : promoted(job.candidates, i, job.attempt),
        rigId,
        behindWaiting: submitted !== undefined,
        leaseMs: this.config.LEASE_MS,
        runMs: runCapMs(this.config, job.input_tokens, job.max_tokens),
        firstTokenMs: firstTokenMs(this.config, job.input_tokens),
        seenWithinMs,
        instanceId: this.instanceId,
        socketHere: this.workers.get(rigId) !== undefined,
        clusterEnabled: this.cluster.enabled,
        stored,
      });
      if (claimed)
        return { kind: 'assigned', job: claimed, holder: claimed.holder, rigName: claimed.rig_name };
      live ||= await rigIsLive(q, rigId, seenWithinMs);
    }
    if (live) {
      if (submitted) await waitInLine(q, job.id, stored);
      return { kind: 'waiting' };
    }
    if (submitted) await storeSubmission(q, job.id, stored);
    const reason = job.fail_reason
      ? `no rig left to try; last: ${job.fail_reason}`
      : 'no candidate rig is online';
    await failJob(q, job, reason);
    return { kind: 'failed', reason };
  }

  /** After the claim's transaction committed: tell the subscribers, and send the job to its rig. */
  async afterClaim(jobId: string, claim: Claim): Promise<void> {
    if (claim.kind === 'waiting') return; // queue.ts tells the client its place
    if (claim.kind === 'failed') {
      this.emit(jobId, { type: 'failed', reason: claim.reason });
      return;
    }
    const { job, holder } = claim;
    this.emit(jobId, { type: 'state', state: 'running', rigId: job.rig_id, attempt: job.attempt });
    if (holder === this.instanceId) await this.assign(job);
    else await this.cluster.handOver(holder, jobId);
  }

  /** A job another proxy handed over to us, for a rig whose socket we hold. */
  async sendAssign(jobId: string): Promise<void> {
    const job = await jobById(this.db, jobId);
    if (job) await this.assign(job);
  }

  /** Sends the assign message for a running job to its rig's socket here, or fails it over. */
  private async assign(job: JobRow): Promise<void> {
    if (job.state !== 'running' || !job.rig_id || !job.envelope) return;
    const conn = this.workers.get(job.rig_id);
    if (!conn) return this.failover(job.id, job.rig_id, 'the rig left before the job reached it', true);
    this.sent.set(job.id, {
      rigId: job.rig_id,
      attempt: job.attempt,
      chunks: 0,
      bytes: 0,
      budget: sealedStreamBudget(job.max_tokens),
    });
    conn.send({
      type: 'assign',
      jobId: job.id,
      model: job.model,
      kind: job.kind,
      envelope: job.envelope,
      aad: job.id,
      inputTokens: job.input_tokens,
      maxTokens: job.max_tokens,
      leaseMs: this.config.LEASE_MS,
    });
  }

  /**
   * Streams a sealed chunk on to the client, if `rigId` is the rig we sent the job to and the attempt stays
   * within its budget. A rig past it loses the job (failover) and its socket: it streams more than the
   * tokens it is paid for, which only a broken or hostile rig does.
   */
  handleChunk(rigId: string, msg: Extract<WorkerToProxy, { type: 'chunk' }>): void {
    const sent = this.sent.get(msg.jobId);
    if (sent?.rigId !== rigId) return;
    sent.chunks++;
    sent.bytes += msg.sealed.ciphertext.length + msg.sealed.nonce.length;
    if (sent.chunks > sent.budget.maxChunks || sent.bytes > sent.budget.maxBytes) {
      const why = `streamed more than the job's token budget allows (${sent.budget.maxChunks} chunks, ${sent.budget.maxBytes} bytes)`;
      this.log.warn(
        { jobId: msg.jobId, rigId, chunks: sent.chunks, bytes: sent.bytes },
        'rig over a job budget',
      );
      this.workers.get(rigId)?.close(WORKER_CLOSE.overLimit, why);
      void this.failover(msg.jobId, rigId, why, true).catch((err) =>
        this.log.error({ err, jobId: msg.jobId }, 'failover after an over-budget stream failed'),
      );
      return;
    }
    // The attempt's first output, by the proxy's clock (market/speed.ts): once per attempt sent from here.
    if (sent.chunks === 1)
      void recordFirstOutput(this.db, msg.jobId, rigId).catch((err) =>
        this.log.error({ err, jobId: msg.jobId }, 'recording the first output failed'),
      );
    this.emit(msg.jobId, { type: 'chunk', rigId, attempt: sent.attempt, seq: msg.seq, sealed: msg.sealed });
  }

  /** The job ended on `rigId` (done or failed there): its chunks are no longer streamed. */
  forgetSent(jobId: string, rigId: string): void {
    if (this.sent.get(jobId)?.rigId === rigId) this.sent.delete(jobId);
  }

  /** The job ended here whatever rig runs it (timed out). */
  dropSent(jobId: string): void {
    this.sent.delete(jobId);
  }

  /** Forgets sent jobs that no longer run on the rig we sent them to (another proxy moved them on). */
  async pruneSent(): Promise<void> {
    if (this.sent.size < 1000) return;
    const ids = [...this.sent.keys()];
    const live = await runningRigs(this.db, ids);
    for (const id of ids) if (live.get(id) !== this.sent.get(id)?.rigId) this.sent.delete(id);
  }

  /**
   * Takes a job away from a rig that failed it and sends it to the next candidate, another owner's first
   * (otherOwnersFirst). With `retryable` false the rig says the input itself is bad. Only the operator's own
   * rig's word ends the job (it is the network's root of trust: colluders can't make it lie). No other rig's
   * word does, nor two owners' (two colluding rigs priced first would deny every job and, with no rig left
   * to do it, never be counted as failing): the job moves on until a rig does it or no candidate is left,
   * and then fails with that reason and the hold goes back in full. Refusals of a job another rig then does
   * count against the rigs that refused it (rigs/standing.ts recordDeferredFailures).
   */
  async failover(jobId: string, rigId: string, reason: string, retryable: boolean): Promise<void> {
    this.forgetSent(jobId, rigId);
    const outcome = await this.db.tx(async (q) => {
      const job = await lockJob(q, jobId);
      if (job?.state !== 'running' || job.rig_id !== rigId) return null;
      // A refusal the client may have caused counts only if another rig then does the job (rigs/standing.ts).
      if (clientMayHaveCaused(reason, retryable)) await deferRigFailure(q, jobId, rigId);
      else await recordRigFailure(q, rigId, this.config);
      if (!retryable && (await this.isOperators(q, rigId))) {
        await failJob(q, job, reason);
        return 'failed' as const;
      }
      await requeue(q, jobId, reason, retryable ? undefined : rigId);
      await this.otherOwnersFirst(q, job);
      return 'requeued' as const;
    });
    if (outcome === 'failed') this.emit(jobId, { type: 'failed', reason });
    if (outcome === 'requeued') {
      this.log.info({ jobId, rigId, reason }, 'failing over');
      await this.dispatch(jobId);
    }
    if (outcome) this.onSlotFreed();
  }

  private async isOperators(q: Queryable, rigId: string): Promise<boolean> {
    const owner = (await ownersOf(q, [rigId])).get(rigId);
    return owner !== undefined && isOperatorRig(this.config, owner);
  }

  /**
   * After a failure: the candidates not yet tried, those of owners whose rigs already had the job last (in
   * their order otherwise). One owner's rigs can't fail a job one after another while another owner's rig
   * is there to run it.
   */
  private async otherOwnersFirst(q: Queryable, job: JobRow): Promise<void> {
    const next = job.attempt + 1;
    const owners = await ownersOf(
      q,
      job.candidates.map((c) => c.rigId),
    );
    const tried = new Set(job.candidates.slice(0, next).map((c) => owners.get(c.rigId)));
    const rest = job.candidates.slice(next);
    const fresh = rest.filter((c) => !tried.has(owners.get(c.rigId)));
    if (fresh.length === 0 || fresh.length === rest.length) return;
    const reordered = [...fresh, ...rest.filter((c) => !fresh.includes(c))];
    if (reordered.every((c, i) => c === rest[i])) return;
    await setCandidates(q, job.id, [...job.candidates.slice(0, next), ...reordered]);
  }

  /** A rig's socket closed: every job it was running goes to the next candidate. */
  async rigGone(rigId: string): Promise<void> {
    for (const id of await runningOnRig(this.db, rigId))
      await this.failover(id, rigId, 'the rig disconnected', true);
  }
}
