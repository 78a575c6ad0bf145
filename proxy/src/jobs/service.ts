// Jobs from quote to settlement. The proxy moves sealed envelopes and money; it never reads job text.
//
//   quoted ──submit──▶ queued ──assign──▶ running ──done──▶ done (charged, rig paid, fee taken, rest released)
//     │                  ▲                   │
//     └─expire─▶ expired └──── failover ─────┘ (rig failed, disconnected or let its lease lapse)
//                               no candidate left ──▶ failed (hold released in full)
import { randomUUID } from 'node:crypto';
import type { quoteRequest, submitJobRequest } from '@cocoon/shared';
import {
  chargeFor,
  formatTon,
  fromBase64,
  holdFor,
  type JobEvent,
  type JobView,
  type QuoteResponse,
  sealedResultHash,
  verifyReceipt,
  type WorkerToProxy,
} from '@cocoon/shared';
import type { z } from 'zod';
import type { Config } from '../config';
import type { Db, Queryable } from '../db';
import { conflict, HttpError, InsufficientFunds, notFound } from '../errors';
import { balanceOf, holdAccount, postTx, trialAccount, userBalances } from '../ledger/ledger';
import { holdTransfers, releaseTransfers, settleTransfers } from '../ledger/trial-credit';
import type { Logger } from '../log';
import { cheapestAsk, eligibleRigs } from '../market/candidates';
import type { WorkerRegistry } from '../ws/registry';
import type { Cluster } from './cluster';
import type { JobEventHub } from './events';
import { JOB_COLUMNS, type JobRow, toJobView } from './job-row';

type QuoteInput = z.output<typeof quoteRequest>;
type SubmitInput = z.output<typeof submitJobRequest>;
type DoneMsg = Extract<WorkerToProxy, { type: 'done' }>;
type Submission = { envelope: SubmitInput['envelope']; bytes: number; idempotencyKey: string };
type Claim =
  | { kind: 'assigned'; job: JobRow; holder: string; rigName: string }
  | { kind: 'failed'; reason: string };

export class JobService {
  /**
   * The rig and attempt of each job this proxy sent out, until it ends here: a chunk from any other rig is
   * dropped without a database read. Kept per rig, not per socket, so a rig that reconnects mid-job goes
   * on streaming. A job another proxy took away lingers until pruneSent (its chunks carry an old attempt,
   * which clients ignore).
   */
  private readonly sent = new Map<string, { rigId: string; attempt: number }>();

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly hub: JobEventHub,
    private readonly workers: WorkerRegistry,
    private readonly log: Logger,
    private readonly cluster: Cluster,
    private readonly instanceId: string,
  ) {}

  /** Joins the other proxies on the same PostgreSQL (no-op on PGlite). */
  async startCluster(): Promise<void> {
    await this.cluster.start({
      onAssign: (jobId) => this.sendAssign(jobId),
      onEvent: async (jobId, event) => {
        if (event.type !== 'done' || !('fromDb' in event)) return this.hub.publish(jobId, event as JobEvent);
        const r = await this.db.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs j WHERE j.id = $1`, [jobId]);
        const job = r.rows[0];
        if (job?.state === 'done' && job.result && job.rig_id) {
          this.hub.publish(jobId, {
            type: 'done',
            rigId: job.rig_id,
            result: job.result,
            costNano: job.cost_nano ?? '0',
            promptTokens: job.prompt_tokens ?? 0,
            completionTokens: job.completion_tokens ?? 0,
          });
        }
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

  async quote(userId: string, apiKeyId: string | null, req: QuoteInput): Promise<QuoteResponse> {
    const ranked = (await eligibleRigs(this.db, req)).slice(0, 3);
    if (ranked.length === 0) {
      const cheapest = await cheapestAsk(this.db, req.model, req.kind);
      if (cheapest !== null && req.maxPriceNanoPer1k !== undefined) {
        throw new HttpError(
          503,
          'price_too_high',
          `no rig serving ${req.model} asks at most ${req.maxPriceNanoPer1k} nanoTON per 1k tokens; the cheapest ask is ${cheapest}`,
        );
      }
      throw new HttpError(
        503,
        'no_capacity',
        `no rig with a free slot is serving ${req.model} for ${req.kind} right now`,
      );
    }
    const maxPrice = ranked.reduce(
      (m, c) => (BigInt(c.priceNanoPer1k) > m ? BigInt(c.priceNanoPer1k) : m),
      0n,
    );
    const hold = holdFor(req.inputTokens + req.maxTokens, maxPrice, this.config.FEE_BPS);
    const id = randomUUID();
    const expiresAt = new Date(Date.now() + this.config.QUOTE_TTL_MS);
    await this.db
      .tx(async (q) => {
        // Locked, so two quotes at once can't both count on the same trial credit.
        const trial = await q.query<{ balance: string }>(
          'SELECT balance::text AS balance FROM accounts WHERE id = $1 FOR UPDATE',
          [trialAccount(userId)],
        );
        const { fromTrial, transfers } = holdTransfers(
          id,
          userId,
          hold,
          BigInt(trial.rows[0]?.balance ?? '0'),
        );
        await q.query(
          `INSERT INTO jobs (id, user_id, api_key_id, model, kind, state, input_tokens, max_tokens, hold_nano, fee_bps,
           candidates, expires_at, hold_trial_nano)
           VALUES ($1, $2, $3, $4, $5, 'quoted', $6, $7, $8::numeric, $9, $10, $11, $12::numeric)`,
          [
            id,
            userId,
            apiKeyId,
            req.model,
            req.kind,
            req.inputTokens,
            req.maxTokens,
            hold,
            this.config.FEE_BPS,
            JSON.stringify(ranked.map((c) => ({ rigId: c.rigId, priceNanoPer1k: c.priceNanoPer1k }))),
            expiresAt,
            fromTrial.toString(),
          ],
        );
        await postTx(q, { kind: 'hold', ref: id, uniqueKey: `hold:${id}`, transfers });
      })
      .catch(async (err) => {
        if (!(err instanceof InsufficientFunds)) throw err;
        // Read the balance after the rollback: PGlite can't run a second query while the transaction is open.
        const { withdrawable, trial } = await userBalances(this.db, userId);
        const balance = withdrawable + trial;
        throw new InsufficientFunds(
          `this job needs a hold of ${formatTon(hold)} TON and your balance is ${formatTon(balance)} TON; top up in the Mini App`,
        );
      });
    return {
      quoteId: id,
      model: req.model,
      kind: req.kind,
      holdNano: hold.toString(),
      feeBps: this.config.FEE_BPS,
      expiresAt: expiresAt.toISOString(),
      candidates: ranked.map(({ rigId, priceNanoPer1k, x25519PublicKey, ed25519PublicKey, device }) => ({
        rigId,
        priceNanoPer1k,
        x25519PublicKey,
        ed25519PublicKey,
        device,
      })),
    };
  }

  async submit(userId: string, req: SubmitInput): Promise<JobView> {
    const bytes = Buffer.byteLength(JSON.stringify(req.envelope));
    if (bytes > this.config.MAX_ENVELOPE_BYTES) {
      throw new HttpError(
        413,
        'envelope_too_large',
        `the envelope is ${bytes} bytes; the limit is ${this.config.MAX_ENVELOPE_BYTES}`,
      );
    }
    const submitted = { envelope: req.envelope, bytes, idempotencyKey: req.idempotencyKey };
    const outcome = await this.db
      .tx(async (q) => {
        const r = await q.query<JobRow & { key_taken: boolean }>(
          `SELECT ${JOB_COLUMNS}, EXISTS (SELECT 1 FROM jobs k WHERE k.user_id = $2 AND k.idempotency_key = $3
             AND k.id <> j.id) AS key_taken
           FROM jobs j WHERE j.id = $1 FOR UPDATE OF j`,
          [req.quoteId, userId, req.idempotencyKey],
        );
        const job = r.rows[0];
        if (!job || job.user_id !== userId) throw notFound('no such quote');
        if (job.state === 'expired')
          throw new HttpError(410, 'quote_expired', 'the quote expired; ask for a new one');
        if (job.state !== 'quoted') {
          if (job.idempotency_key === req.idempotencyKey) return { kind: 'replay' as const };
          throw conflict(
            'this quote was already submitted with another idempotency key',
            'already_submitted',
          );
        }
        // The same idempotency key on another quote: that job is the answer.
        if (job.key_taken) return { kind: 'duplicate' as const };
        const candidates = new Set(job.candidates.map((c) => c.rigId));
        const stray = req.envelope.recipients.find((r) => !candidates.has(r.rigId));
        if (stray)
          throw new HttpError(
            400,
            'bad_envelope',
            `envelope.recipients: rig ${stray.rigId} is not a candidate of this quote`,
          );
        // Stored and sent on in one transaction: one lock of the row, one UPDATE.
        return { kind: 'claimed' as const, claim: await this.claimRig(q, job, submitted) };
      })
      .catch((err) => {
        // Another quote took the same key at the same moment (the unique index caught it).
        if ((err as { code?: string }).code === '23505') return { kind: 'duplicate' as const };
        throw err;
      });
    if (outcome.kind === 'replay') return this.view(userId, req.quoteId);
    if (outcome.kind === 'duplicate') {
      const first = await this.jobByIdempotencyKey(userId, req.idempotencyKey);
      if (first) return this.view(userId, first);
      throw conflict('this idempotency key is taken', 'already_submitted');
    }
    this.emit(req.quoteId, { type: 'state', state: 'queued', rigId: null, attempt: 0 });
    await this.afterClaim(req.quoteId, outcome.claim);
    if (outcome.claim.kind === 'failed') return this.view(userId, req.quoteId);
    return toJobView({ ...outcome.claim.job, rig_name: outcome.claim.rigName });
  }

  private async jobByIdempotencyKey(userId: string, key: string): Promise<string | undefined> {
    const r = await this.db.query<{ id: string }>(
      'SELECT id FROM jobs WHERE user_id = $1 AND idempotency_key = $2',
      [userId, key],
    );
    return r.rows[0]?.id;
  }

  /** Locks a job row. With `skipLocked`, a row another proxy is working on reads as absent (it's theirs). */
  private async lockJob(q: Queryable, jobId: string, skipLocked = false): Promise<JobRow | undefined> {
    const r = await q.query<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM jobs j WHERE j.id = $1 FOR UPDATE${skipLocked ? ' SKIP LOCKED' : ''}`,
      [jobId],
    );
    return r.rows[0];
  }

  async view(userId: string, jobId: string): Promise<JobView> {
    const r = await this.db.query<JobRow & { rig_name: string | null }>(
      `SELECT ${JOB_COLUMNS}, r.name AS rig_name FROM jobs j LEFT JOIN rigs r ON r.id = j.rig_id
       WHERE j.id = $1 AND j.user_id = $2`,
      [jobId, userId],
    );
    if (!r.rows[0]) throw notFound('no such job');
    return toJobView(r.rows[0]);
  }

  async listForUser(userId: string, limit = 50): Promise<JobView[]> {
    const r = await this.db.query<JobRow & { rig_name: string | null }>(
      `SELECT ${JOB_COLUMNS}, r.name AS rig_name FROM jobs j LEFT JOIN rigs r ON r.id = j.rig_id
       WHERE j.user_id = $1 AND j.state <> 'quoted' ORDER BY j.created_at DESC LIMIT $2`,
      [userId, limit],
    );
    return r.rows.map((row) => ({ ...toJobView(row), result: null }));
  }

  /** Sends a queued job on (see claimRig). Claimed with SKIP LOCKED, so two proxies never dispatch it. */
  async dispatch(jobId: string): Promise<void> {
    const claim = await this.db.tx(async (q) => {
      const job = await this.lockJob(q, jobId, true);
      if (job?.state !== 'queued' || !job.envelope) return null;
      return this.claimRig(q, job);
    });
    if (claim) await this.afterClaim(jobId, claim);
  }

  /**
   * Gives a queued job (its row locked by the caller) to the first candidate, from its current attempt on,
   * that is connected: to this process's socket, or to the proxy that holds the rig. With none left, the
   * job fails and its hold goes back.
   */
  private async claimRig(q: Queryable, job: JobRow, submitted?: Submission): Promise<Claim> {
    const addressed = new Set((submitted?.envelope ?? job.envelope)?.recipients.map((r) => r.rigId));
    // A job being submitted gets its envelope and idempotency key in the same UPDATE.
    const stored = submitted
      ? [JSON.stringify(submitted.envelope), submitted.bytes, submitted.idempotencyKey]
      : [null, null, null];
    for (let i = job.attempt; i < job.candidates.length; i++) {
      const { rigId } = job.candidates[i];
      if (!addressed.has(rigId)) continue;
      // Claimed only if the rig is usable, recently seen and reachable: its socket is here, or (with
      // several proxies) another process holds it. One statement checks and claims.
      const r = await q.query<JobRow & { holder: string; rig_name: string }>(
        `UPDATE jobs j SET state = 'running', attempt = $2, rig_id = $3, started_at = now(),
           lease_until = now() + $4 * interval '1 millisecond', envelope = coalesce($9::jsonb, j.envelope),
           envelope_bytes = coalesce($10::int, j.envelope_bytes), idempotency_key = coalesce($11, j.idempotency_key)
         FROM rigs r
         WHERE j.id = $1 AND r.id = $3 AND NOT r.paused AND r.revoked_at IS NULL
           AND r.last_seen_at > now() - $5 * interval '1 millisecond'
           AND CASE WHEN r.connected_to = $6 THEN $7::boolean ELSE r.connected_to IS NOT NULL AND $8::boolean END
         RETURNING ${JOB_COLUMNS}, r.connected_to AS holder, r.name AS rig_name`,
        [
          job.id,
          i,
          rigId,
          this.config.LEASE_MS,
          this.config.HEARTBEAT_MS * 3,
          this.instanceId,
          this.workers.get(rigId) !== undefined,
          this.cluster.enabled,
          ...stored,
        ],
      );
      const claimed = r.rows[0];
      if (claimed)
        return { kind: 'assigned', job: claimed, holder: claimed.holder, rigName: claimed.rig_name };
    }
    if (submitted) {
      await q.query(
        'UPDATE jobs SET envelope = $2, envelope_bytes = $3, idempotency_key = $4 WHERE id = $1',
        [job.id, ...stored],
      );
    }
    const reason = job.fail_reason
      ? `no rig left to try; last: ${job.fail_reason}`
      : 'no candidate rig is online';
    await this.failJob(q, job, reason);
    return { kind: 'failed', reason };
  }

  /** After the claim's transaction committed: tell the subscribers, and send the job to its rig. */
  private async afterClaim(jobId: string, claim: Claim): Promise<void> {
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
  private async sendAssign(jobId: string): Promise<void> {
    const r = await this.db.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs j WHERE j.id = $1`, [jobId]);
    if (r.rows[0]) await this.assign(r.rows[0]);
  }

  /** Sends the assign message for a running job to its rig's socket here, or fails it over. */
  private async assign(job: JobRow): Promise<void> {
    if (job.state !== 'running' || !job.rig_id || !job.envelope) return;
    const conn = this.workers.get(job.rig_id);
    if (!conn) return this.failover(job.id, job.rig_id, 'the rig left before the job reached it', true);
    this.sent.set(job.id, { rigId: job.rig_id, attempt: job.attempt });
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

  /** Ends a job as failed and gives its whole hold back. Call inside a transaction holding the job row. */
  private async failJob(q: Queryable, job: JobRow, reason: string): Promise<void> {
    await q.query(
      `UPDATE jobs SET state = 'failed', fail_reason = $2, finished_at = now(), lease_until = NULL WHERE id = $1`,
      [job.id, reason],
    );
    await this.releaseHold(q, job, 'release');
  }

  private async releaseHold(q: Queryable, job: JobRow, kind: string): Promise<void> {
    const held = await balanceOf(q, holdAccount(job.id));
    await postTx(q, {
      kind,
      ref: job.id,
      uniqueKey: `release:${job.id}`,
      transfers: releaseTransfers(job.id, job.user_id, held, BigInt(job.hold_trial_nano)),
    });
  }

  /** Streams a sealed chunk on to the client, if `rigId` is the rig we sent the job to. */
  handleChunk(rigId: string, msg: Extract<WorkerToProxy, { type: 'chunk' }>): void {
    const sent = this.sent.get(msg.jobId);
    if (sent?.rigId !== rigId) return;
    this.emit(msg.jobId, { type: 'chunk', rigId, attempt: sent.attempt, seq: msg.seq, sealed: msg.sealed });
  }

  private forgetSent(jobId: string, rigId: string): void {
    if (this.sent.get(jobId)?.rigId === rigId) this.sent.delete(jobId);
  }

  /** Forgets sent jobs that no longer run on the rig we sent them to (another proxy moved them on). */
  private async pruneSent(): Promise<void> {
    if (this.sent.size < 1000) return;
    const ids = [...this.sent.keys()];
    const r = await this.db.query<{ id: string; rig_id: string }>(
      "SELECT id, rig_id FROM jobs WHERE id = ANY($1::uuid[]) AND state = 'running'",
      [ids],
    );
    const live = new Map(r.rows.map((row) => [row.id, row.rig_id]));
    for (const id of ids) if (live.get(id) !== this.sent.get(id)?.rigId) this.sent.delete(id);
  }

  /** Checks the receipt and settles: the user pays tokens × ask + fee, the owner gets tokens × ask. */
  async handleDone(rigId: string, msg: DoneMsg): Promise<void> {
    this.forgetSent(msg.jobId, rigId);
    const outcome = await this.db.tx(async (q) => {
      const r = await q.query<JobRow & { owner_id: string; ed25519_public_key: string | null }>(
        `SELECT ${JOB_COLUMNS}, r.owner_id, r.ed25519_public_key FROM jobs j JOIN rigs r ON r.id = j.rig_id
         WHERE j.id = $1 FOR UPDATE OF j`,
        [msg.jobId],
      );
      const job = r.rows[0];
      if (job?.state !== 'running' || job.rig_id !== rigId) return { kind: 'ignored' as const };
      const problem = this.receiptProblem(job, rigId, msg);
      if (problem) return { kind: 'invalid' as const, problem };
      const price = BigInt(job.candidates[job.attempt].priceNanoPer1k);
      const tokens = msg.receipt.promptTokens + msg.receipt.completionTokens;
      const charge = chargeFor(tokens, price, job.fee_bps);
      const hold = BigInt(job.hold_nano);
      if (charge.totalNano > hold)
        return { kind: 'invalid' as const, problem: 'usage costs more than the hold' };
      await postTx(q, {
        kind: 'settle',
        ref: job.id,
        uniqueKey: `settle:${job.id}`,
        transfers: settleTransfers({
          jobId: job.id,
          userId: job.user_id,
          ownerId: job.owner_id,
          hold,
          trialHeld: BigInt(job.hold_trial_nano),
          rigNano: charge.rigNano,
          feeNano: charge.feeNano,
        }),
      });
      // The job row and the rig's counters in one statement.
      await q.query(
        `WITH done AS (
           UPDATE jobs SET state = 'done', result = $2, prompt_tokens = $3, completion_tokens = $4,
             price_nano_per_1k = $5::numeric, cost_nano = $6::numeric, rig_nano = $7::numeric, fee_nano = $8::numeric,
             finished_at = now(), lease_until = NULL WHERE id = $1
           RETURNING rig_id, greatest(0, (extract(epoch FROM now() - started_at) * 1000)::bigint) AS ms
         )
         UPDATE rigs SET jobs_done = jobs_done + 1, total_job_ms = total_job_ms + done.ms FROM done
         WHERE rigs.id = done.rig_id`,
        [
          job.id,
          JSON.stringify(msg.result),
          msg.receipt.promptTokens,
          msg.receipt.completionTokens,
          price,
          charge.totalNano,
          charge.rigNano,
          charge.feeNano,
        ],
      );
      return { kind: 'settled' as const, charge };
    });
    if (outcome.kind === 'settled') {
      this.emit(msg.jobId, {
        type: 'done',
        rigId,
        result: msg.result,
        costNano: outcome.charge.totalNano.toString(),
        promptTokens: msg.receipt.promptTokens,
        completionTokens: msg.receipt.completionTokens,
      });
    } else if (outcome.kind === 'invalid') {
      this.log.warn({ jobId: msg.jobId, rigId, problem: outcome.problem }, 'rejected a usage receipt');
      await this.failover(msg.jobId, rigId, `invalid receipt: ${outcome.problem}`, true);
    }
  }

  private receiptProblem(
    job: JobRow & { ed25519_public_key: string | null },
    rigId: string,
    msg: DoneMsg,
  ): string | null {
    const r = msg.receipt;
    if (r.jobId !== job.id || r.rigId !== rigId || r.model !== job.model) return 'receipt is for another job';
    if (r.resultHash !== sealedResultHash(msg.result)) return 'result hash does not match';
    if (r.promptTokens > job.input_tokens) return 'prompt tokens above the quote';
    if (r.completionTokens > job.max_tokens) return 'completion tokens above maxTokens';
    const pub = job.ed25519_public_key;
    if (!pub || !verifyReceipt(r, msg.signature, fromBase64(pub))) return 'bad signature';
    return null;
  }

  /**
   * Takes a job away from a rig that failed it and sends it to the next candidate. With `retryable` false
   * (the job itself is bad: too long, malformed), the job fails and the hold goes back in full.
   */
  async failover(jobId: string, rigId: string, reason: string, retryable: boolean): Promise<void> {
    this.forgetSent(jobId, rigId);
    const outcome = await this.db.tx(async (q) => {
      const job = await this.lockJob(q, jobId);
      if (job?.state !== 'running' || job.rig_id !== rigId) return null;
      await q.query('UPDATE rigs SET jobs_failed = jobs_failed + 1 WHERE id = $1', [rigId]);
      if (!retryable) {
        await this.failJob(q, job, reason);
        return 'failed' as const;
      }
      await q.query(
        `UPDATE jobs SET state = 'queued', rig_id = NULL, lease_until = NULL, attempt = attempt + 1, fail_reason = $2
         WHERE id = $1`,
        [jobId, reason],
      );
      return 'requeued' as const;
    });
    if (outcome === 'failed') this.emit(jobId, { type: 'failed', reason });
    if (outcome === 'requeued') {
      this.log.info({ jobId, rigId, reason }, 'failing over');
      await this.dispatch(jobId);
    }
  }

  /** A rig's socket closed: every job it was running goes to the next candidate. */
  async rigGone(rigId: string): Promise<void> {
    const r = await this.db.query<{ id: string }>(
      "SELECT id FROM jobs WHERE rig_id = $1 AND state = 'running'",
      [rigId],
    );
    for (const { id } of r.rows) await this.failover(id, rigId, 'the rig disconnected', true);
  }

  /** A heartbeat renews the leases of the jobs the rig says it is running. */
  async renewLeases(rigId: string, running: string[]): Promise<void> {
    if (!running.length) return;
    await this.db.query(
      `UPDATE jobs SET lease_until = now() + $3 * interval '1 millisecond'
       WHERE rig_id = $1 AND state = 'running' AND id = ANY($2::uuid[])`,
      [rigId, running, this.config.LEASE_MS],
    );
  }

  /** Periodic upkeep: expire stale quotes, fail over lapsed leases, time out jobs, retry queued ones. */
  async sweep(): Promise<void> {
    const expired = await this.db.query<{ id: string }>(
      "SELECT id FROM jobs WHERE state = 'quoted' AND expires_at < now() LIMIT 500",
    );
    for (const { id } of expired.rows) {
      await this.db.tx(async (q) => {
        const job = await this.lockJob(q, id);
        if (job?.state !== 'quoted') return;
        await q.query("UPDATE jobs SET state = 'expired', finished_at = now() WHERE id = $1", [id]);
        await this.releaseHold(q, job, 'expire');
      });
    }
    const timedOut = await this.db.query<{ id: string; rig_id: string | null }>(
      `SELECT id, rig_id FROM jobs WHERE state IN ('queued', 'running')
       AND created_at < now() - $1 * interval '1 millisecond' LIMIT 500`,
      [this.config.JOB_TIMEOUT_MS],
    );
    for (const { id, rig_id } of timedOut.rows) {
      const failed = await this.db.tx(async (q) => {
        const job = await this.lockJob(q, id);
        if (!job || (job.state !== 'queued' && job.state !== 'running')) return false;
        await this.failJob(q, job, 'the job timed out');
        return true;
      });
      if (failed) {
        this.emit(id, { type: 'failed', reason: 'the job timed out' });
        this.sent.delete(id);
        if (rig_id) this.workers.get(rig_id)?.send({ type: 'cancel', jobId: id, reason: 'timed out' });
      }
    }
    const lapsed = await this.db.query<{ id: string; rig_id: string }>(
      "SELECT id, rig_id FROM jobs WHERE state = 'running' AND lease_until < now() LIMIT 500",
    );
    for (const { id, rig_id } of lapsed.rows) {
      this.workers.get(rig_id)?.send({ type: 'cancel', jobId: id, reason: 'lease expired' });
      await this.failover(id, rig_id, 'the lease expired', true);
    }
    const queued = await this.db.query<{ id: string }>(
      "SELECT id FROM jobs WHERE state = 'queued' LIMIT 500",
    );
    for (const { id } of queued.rows) await this.dispatch(id);
    await this.pruneSent();
  }
}
