// The user's side of a job: a quote (candidates ranked, the hold priced), its submission (the hold taken, the
// sealed envelope stored and handed to the dispatcher, idempotently), and reading jobs back. A quote takes no
// money and, never submitted, is deleted when it expires: it leaves nothing behind but a counter.
import { randomUUID } from 'node:crypto';
import type { quoteRequest, submitJobRequest } from '@cocoon/shared';
import { formatTon, holdFor, type JobView, type QuoteResponse } from '@cocoon/shared';
import type { z } from 'zod';
import type { Config } from '../config';
import type { Db, Queryable } from '../db';
import { conflict, HttpError, InsufficientFunds, notFound } from '../errors';
import { balanceOf, starsAccount, userBalances } from '../ledger/ledger';
import { cheapestAsk, eligibleRigs, pickCandidates } from '../market/candidates';
import { rankFor } from '../market/speed';
import { type Payer, payerBalance, payerFor, refuseWhileJobOpen } from '../onchain-accounts/payer';
import { refuseWhileStarsOwed } from '../stars/receivable';
import type { Dispatcher, EmitJobEvent } from './dispatch';
import { toJobView } from './job-row';
import { checkQueueRoom, maxWaitFor } from './queue';
import { markSubmitted } from './queue-repository';
import { insertQuote, jobIdByIdempotencyKey, listRows, lockForSubmit, viewRow } from './repository';
import { planHold, postHold } from './settlement';

export type QuoteInput = z.output<typeof quoteRequest>;
export type SubmitInput = z.output<typeof submitJobRequest>;

export class Quotes {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly dispatcher: Dispatcher,
    private readonly emit: EmitJobEvent,
    /** The attestation policy's model digests for the `tdx` tier (null: any). */
    private readonly tdxModelDigests: string[] | null = null,
    /** A submitted job waits in line: move the line (queue.ts kick). */
    private readonly onWaiting: () => void = () => {},
  ) {}

  async quote(userId: string, apiKeyId: string | null, req: QuoteInput): Promise<QuoteResponse> {
    const { candidates: ranked, heldPriceNanoPer1k: maxPrice } = pickCandidates(
      await rankFor(
        this.db,
        this.config,
        req,
        await eligibleRigs(this.db, req, this.config.MAX_ASK_NANO_PER_1K, this.config, this.tdxModelDigests),
      ),
      this.config.HOLD_ASK_MULTIPLE,
      this.config.DEFAULT_ASK_NANO_PER_1K,
    );
    if (ranked.length === 0 && req.minTrust === 'tdx') {
      throw new HttpError(
        503,
        'no_confidential_capacity',
        `no rig in the confidential (TDX) tier is serving ${req.model} for ${req.kind} right now; ask without min_trust to use the open tier`,
      );
    }
    if (ranked.length === 0) {
      const cheapest = await cheapestAsk(this.db, req.model, req.kind);
      if (cheapest !== null && req.maxPriceNanoPer1k !== undefined) {
        throw new HttpError(
          503,
          'price_too_high',
          `no rig serving ${req.model} asks at most ${req.maxPriceNanoPer1k} nanoTON per 1k tokens; the cheapest ask is ${cheapest}`,
        );
      }
      throw new HttpError(503, 'no_capacity', `no rig is serving ${req.model} for ${req.kind} right now`);
    }
    const hold = holdFor(req.inputTokens + req.maxTokens, maxPrice, this.config.FEE_BPS);
    const id = randomUUID();
    const expiresAt = new Date(Date.now() + this.config.QUOTE_TTL_MS);
    // Refuse now what couldn't be paid at submit (the hold itself is taken then).
    await refuseWhileStarsOwed(this.db, userId);
    const payer = await payerFor(this.db, userId);
    if (payer.onchain) await refuseWhileJobOpen(this.db, userId);
    const spendable = await spendableFor(this.db, userId, payer);
    if (spendable < hold) throw this.tooLittle(hold, spendable);
    await insertQuote(this.db, {
      id,
      userId,
      apiKeyId,
      model: req.model,
      kind: req.kind,
      inputTokens: req.inputTokens,
      maxTokens: req.maxTokens,
      holdNano: hold,
      feeBps: this.config.FEE_BPS,
      candidates: ranked.map((c) => ({
        rigId: c.rigId,
        priceNanoPer1k: c.priceNanoPer1k,
        ...(c.auditOnly ? { auditOnly: true } : {}),
      })),
      expiresAt,
      holdTrialNano: 0n,
    });
    return {
      quoteId: id,
      model: req.model,
      kind: req.kind,
      holdNano: hold.toString(),
      feeBps: this.config.FEE_BPS,
      expiresAt: expiresAt.toISOString(),
      candidates: ranked.map((c) => ({
        rigId: c.rigId,
        priceNanoPer1k: c.priceNanoPer1k,
        x25519PublicKey: c.x25519PublicKey,
        ed25519PublicKey: c.ed25519PublicKey,
        device: c.device,
        trust: c.trust,
        ...(c.speed ? { speed: c.speed } : {}),
        ...(c.expectedMs !== undefined ? { expectedMs: c.expectedMs } : {}),
        // A busy rig stays a candidate (the job waits for it: queue.ts), with its expected wait.
        expectedWaitMs: c.running < c.slots ? 0 : Math.round(c.expectedWaitMs),
      })),
      ...(ranked[0].expectedMs !== undefined ? { expectedMs: ranked[0].expectedMs } : {}),
    };
  }

  private tooLittle(hold: bigint, balance: bigint): InsufficientFunds {
    return new InsufficientFunds(
      `this job needs a hold of ${formatTon(hold)} TON and your balance is ${formatTon(balance)} TON; top up in the Mini App`,
    );
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
        const job = await lockForSubmit(q, req.quoteId, userId, req.idempotencyKey);
        if (!job || job.user_id !== userId)
          throw notFound('no such quote (quotes expire unsubmitted after QUOTE_TTL_MS; ask for a new one)');
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
        if (new Date(job.expires_at).getTime() < Date.now())
          throw new HttpError(410, 'quote_expired', 'the quote expired; ask for a new one');
        // The hold is taken with the submission: trial credit first, then Stars credit, then the user's own
        // money (or their on-chain account's, whose next voucher must then cover the job's cash cost). A user
        // who owes for a reversed Stars charge gets no new job until it is settled.
        await refuseWhileStarsOwed(q, userId);
        const payer = await payerFor(q, userId);
        if (payer.onchain) await refuseWhileJobOpen(q, userId);
        const { fromTrial, fromStars, transfers } = await planHold(
          q,
          job.id,
          userId,
          BigInt(job.hold_nano),
          payer.account,
        );
        await postHold(q, job.id, transfers);
        const maxWaitMs = maxWaitFor(this.config, req.maxWaitMs);
        await markSubmitted(q, job.id, {
          maxWaitMs,
          holdTrialNano: fromTrial,
          holdStarsNano: fromStars,
          paysOnchain: payer.onchain,
        });
        job.hold_trial_nano = fromTrial.toString();
        job.hold_stars_nano = fromStars.toString();
        // Stored and sent on in one transaction: one lock of the row, one UPDATE.
        const claim = await this.dispatcher.claimRig(q, job, submitted);
        // Every candidate busy: the job waits in line, if there is room (else the hold is rolled back).
        if (claim.kind === 'waiting') await checkQueueRoom(q, this.config, job, maxWaitMs);
        return { kind: 'claimed' as const, claim };
      })
      .catch(async (err) => {
        if (err instanceof InsufficientFunds) {
          // Read after the rollback: PGlite can't run a second query while the transaction is open.
          const spendable = await spendableFor(this.db, userId, await payerFor(this.db, userId));
          const job = await viewRow(this.db, userId, req.quoteId);
          throw this.tooLittle(BigInt(job?.hold_nano ?? '0'), spendable);
        }
        // Another quote took the same key at the same moment (the unique index caught it).
        if ((err as { code?: string }).code === '23505') return { kind: 'duplicate' as const };
        throw err;
      });
    if (outcome.kind === 'replay') return this.view(userId, req.quoteId);
    if (outcome.kind === 'duplicate') {
      const first = await jobIdByIdempotencyKey(this.db, userId, req.idempotencyKey);
      if (first) return this.view(userId, first);
      throw conflict('this idempotency key is taken', 'already_submitted');
    }
    this.emit(req.quoteId, { type: 'state', state: 'queued', rigId: null, attempt: 0 });
    await this.dispatcher.afterClaim(req.quoteId, outcome.claim);
    if (outcome.claim.kind === 'waiting') this.onWaiting();
    if (outcome.claim.kind !== 'assigned') return this.view(userId, req.quoteId);
    return toJobView({ ...outcome.claim.job, rig_name: outcome.claim.rigName });
  }

  async view(userId: string, jobId: string): Promise<JobView> {
    const row = await viewRow(this.db, userId, jobId);
    if (!row) throw notFound('no such job');
    return toJobView(row);
  }

  async listForUser(userId: string, limit = 50): Promise<JobView[]> {
    const rows = await listRows(this.db, userId, limit);
    return rows.map((row) => ({ ...toJobView(row), result: null }));
  }
}

/** What a user's jobs can be paid with: trial credit, Stars credit and the payer's own money. */
async function spendableFor(q: Queryable, userId: string, payer: Payer): Promise<bigint> {
  return (
    (await payerBalance(q, payer)) +
    (await userBalances(q, userId)).trial +
    (await balanceOf(q, starsAccount(userId)))
  );
}
