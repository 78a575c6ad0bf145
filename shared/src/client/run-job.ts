// `runJob` is the whole private path: quote, seal in this process, submit, stream, open the result here.
import { type ClientAttestationOptions, createAttestationChecker } from '../attestation/client-check';
import { PolicyRejected } from '../attestation/policy';
import { fromBase64, utf8 } from '../bytes';
import { API_ROUTES as CONTRACT } from '../contract/api';
import type { TrustTier } from '../contract/attestation';
import { rigEvidenceView } from '../contract/attestation';
import type { Candidate, JobEvent } from '../contract/jobs';
import type { MarketPriority } from '../contract/market';
import type { OnchainConfig } from '../contract/onchain';
import { openedResultProblem } from '../crypto/commitment';
import { type ClientSealState, openResultPart, sealJob } from '../crypto/envelope';
import { x25519KeyB64Problem } from '../crypto/key-checks';
import { type SpendKeyOptions, signJobVoucher } from '../onchain/voucher-signer';
import { resultByteBudget, truncateUtf8 } from '../result-budget';
import { type FinalResult, finalResult, type JobBody, resultChunk } from '../schemas/envelope';
import { ApiError, type CallRoute, type ClientHttp } from './http';
import { resumableEvents } from './job-events';
import type { jobMethods } from './jobs';

export interface RunJobOptions {
  model: string;
  body: JobBody;
  maxPriceNanoPer1k?: bigint;
  onDelta?: (delta: string) => void;
  /** The job moved to another rig after some text streamed: discard what `onDelta` gave so far. */
  onRestart?: () => void;
  /**
   * Every candidate rig is busy and the job waits in the proxy's queue: `position` 1 is next in line. Heard
   * again whenever the place moves; `onRunning` then says a rig took the job.
   */
  onQueued?: (place: { position: number; waitDeadline: string | null }) => void;
  /** A rig took the job after it waited in the queue. */
  onRunning?: () => void;
  /**
   * The longest the job may wait in the queue for a free rig (the proxy's QUEUE_WAIT_MS when absent or
   * larger); 0: don't wait (refused, 503 `no_free_rig`, when every candidate is busy). Aborting `signal`
   * while the job waits cancels it, and its hold goes back at once.
   */
  maxWaitMs?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
  idempotencyKey?: string;
  /**
   * `tdx`: only rigs in the confidential tier, each checked by this client itself (its quote, the
   * operator's signed policy) before anything is sealed to it. Needs the client's `attestation` option.
   */
  minTrust?: TrustTier;
  /** `speed`: the rig expected to answer soonest first, within the market's candidate rules; default `price`. */
  priority?: MarketPriority;
}

export interface RunJobResult extends Omit<FinalResult, 'salt' | 'tokenIds'> {
  jobId: string;
  rigId: string;
  costNano: bigint;
  /** Set when the rig sent more text than the job's token budget allows; `text` was cut to the budget. */
  truncated?: true;
}

/** What the job runner takes from the client's options. */
export interface JobRunnerOptions {
  /** For `minTrust: 'tdx'` jobs: the operator's policy key, and optionally a verifier and a PCCS. */
  attestation?: ClientAttestationOptions;
  /**
   * For a user whose jobs are paid from their on-chain account: the spend key that signs each job's voucher
   * once its result is in (shared/src/onchain/voucher-signer.ts). Without it the next job waits (409
   * `voucher_due`) until the voucher is signed elsewhere.
   */
  spendKey?: SpendKeyOptions;
}

/** An upper bound on the tokens a body's text can take: every tokenizer we run uses at most one per byte. */
export function inputTokenBound(body: JobBody): number {
  const texts =
    body.kind === 'generate'
      ? [body.prompt]
      : body.kind === 'chat'
        ? body.messages.map((m) => `${m.role}: ${m.content}`)
        : body.messages.map((m) => `${m.author ?? ''}: ${m.text}`);
  return texts.reduce((n, t) => n + utf8.encode(t).length + 4, 16);
}

function randomId(): string {
  return globalThis.crypto.randomUUID();
}

/**
 * The body as it is sealed: a generate or chat job without a seed gets a random one (53 bits), so that the
 * rig's sampling is reproducible by another rig from the sealed body alone. A seed the caller chose is kept.
 */
export function seededBody(body: JobBody): JobBody {
  if (body.kind === 'summarize' || body.seed !== undefined) return body;
  const [hi, lo] = globalThis.crypto.getRandomValues(new Uint32Array(2));
  return { ...body, seed: (hi >>> 11) * 2 ** 32 + lo };
}

/**
 * The candidates whose X25519 key a job can be sealed to: one with a key of another length or a low-order
 * point (no shared secret derives from it) is left out, so one bad rig can't fail the whole envelope. Throws
 * only when none is left, saying why for each.
 */
export function withSealableKeys(candidates: Candidate[]): Candidate[] {
  const refused: string[] = [];
  const kept = candidates.filter((c) => {
    const problem = x25519KeyB64Problem(c.x25519PublicKey);
    if (problem) refused.push(`rig ${c.rigId.slice(0, 8)}: its X25519 key ${problem}`);
    return !problem;
  });
  if (kept.length === 0)
    throw new ApiError(
      502,
      'no_sealable_rig',
      `no candidate of the quote has a key a job can be sealed to, so nothing was sealed: ${refused.join('; ')}`,
    );
  return kept;
}

function toRecipient(c: Candidate) {
  return { rigId: c.rigId, x25519PublicKey: fromBase64(c.x25519PublicKey) };
}

/** `runJob` for one client, on its HTTP layer and job methods. */
export function createJobRunner(
  http: ClientHttp,
  jobs: Pick<ReturnType<typeof jobMethods>, 'quote' | 'cancelJob'>,
  opts: JobRunnerOptions,
) {
  const { call } = http;
  const attestation = opts.attestation
    ? createAttestationChecker(
        opts.attestation,
        () => call(CONTRACT.attestationPolicy),
        async (id) => rigEvidenceView.parse(await call(CONTRACT.rigEvidence, { params: { id } })),
      )
    : undefined;

  /** The candidates a job may be sealed to: all of them, or for `tdx` those this client verified itself. */
  async function sealableCandidates(candidates: Candidate[], minTrust: TrustTier): Promise<Candidate[]> {
    if (minTrust === 'open') return candidates;
    if (!attestation)
      throw new ApiError(
        400,
        'attestation_not_configured',
        "min_trust tdx needs the operator's attestation policy key (ATTESTATION_POLICY_KEY) to check rigs with",
      );
    // policy_rejected (not the operator's signature), policy_rolled_back (older than one seen here) or
    // policy_expired (past the maximum age): nothing is sealed under a policy this client can't trust.
    const { kept, refused } = await attestation.check(candidates).catch((err: Error) => {
      throw new ApiError(502, err instanceof PolicyRejected ? err.code : 'policy_rejected', err.message);
    });
    if (kept.length === 0)
      throw new ApiError(
        503,
        'no_verified_rig',
        `no candidate's TDX evidence verified here, so nothing was sealed: ${refused
          .map((r) => `rig ${r.rigId.slice(0, 8)}: ${r.reason}`)
          .join('; ')}`,
      );
    return kept;
  }

  let onchainConfig: OnchainConfig | undefined;
  /** Signs the voucher a finished job owes, if it owes one (the user pays from an on-chain account). */
  async function signVoucherFor(jobId: string, costNano: bigint, key: SpendKeyOptions): Promise<void> {
    onchainConfig ??= await call(CONTRACT.onchainConfig);
    if (!onchainConfig.enabled) return;
    const account = await call(CONTRACT.onchainAccount);
    const body = await signJobVoucher({
      key,
      config: onchainConfig,
      account,
      jobId,
      jobCostNano: costNano,
    }).catch((err: Error) => {
      throw new ApiError(409, 'voucher_refused', `the voucher was not signed: ${err.message}`);
    });
    if (body) await call(CONTRACT.signJob, { params: { id: jobId }, body });
  }

  /** Quote, seal for the candidates, submit, stream and open the result. Plaintext never leaves this process. */
  async function runJob(o: RunJobOptions): Promise<RunJobResult> {
    const controller = new AbortController();
    const timer = o.timeoutMs
      ? setTimeout(() => controller.abort(new Error('timeout')), o.timeoutMs)
      : undefined;
    let submittedId: string | undefined;
    const onAbort = () => {
      controller.abort(o.signal?.reason);
      // A job still waiting in the queue is cancelled, so its hold goes back now (a running one is the
      // rig's: the proxy refuses, and that is fine).
      if (submittedId) jobs.cancelJob(submittedId).catch(() => {});
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const quote = await jobs.quote(
        {
          model: o.model,
          kind: o.body.kind,
          inputTokens: inputTokenBound(o.body),
          maxTokens: o.body.maxTokens,
          maxPriceNanoPer1k: o.maxPriceNanoPer1k,
          minTrust: o.minTrust ?? 'open',
          ...(o.priority ? { priority: o.priority } : {}),
        },
        controller.signal,
      );
      const sealable = await sealableCandidates(withSealableKeys(quote.candidates), o.minTrust ?? 'open');
      const { envelope, state } = sealJob(seededBody(o.body), sealable.map(toRecipient), quote.quoteId);
      submittedId = quote.quoteId;
      const events = resumableEvents(
        http,
        {
          quoteId: quote.quoteId,
          envelope,
          idempotencyKey: o.idempotencyKey ?? randomId(),
          ...(o.maxWaitMs !== undefined ? { maxWaitMs: o.maxWaitMs } : {}),
        },
        controller.signal,
      );
      const result = await readResult(call, quote.quoteId, state, o, events);
      if (opts.spendKey) await signVoucherFor(result.jobId, result.costNano, opts.spendKey);
      return result;
    } catch (err) {
      if (controller.signal.aborted && !o.signal?.aborted)
        throw new ApiError(504, 'timeout', 'the job timed out');
      throw err;
    } finally {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    }
  }

  return runJob;
}

/** Opens a job's stream: its deltas within the token budget, failovers, queue moves, and the checked result. */
async function readResult(
  call: CallRoute,
  jobId: string,
  state: ClientSealState,
  o: Pick<RunJobOptions, 'onDelta' | 'onRestart' | 'onQueued' | 'onRunning' | 'body'>,
  events: AsyncIterable<JobEvent>,
): Promise<RunJobResult> {
  // A rig's stream and result are bounded by the job's token budget, whatever the proxy let through.
  const budget = resultByteBudget(o.body.maxTokens);
  let streamedBytes = 0;
  let attempt = 0;
  let nextSeq = 0;
  let waiting = false;
  let position = 0;
  for await (const ev of events) {
    if (ev.type === 'queued') {
      waiting = true;
      // Told again when a stream reopens, or by two proxies: only a move is news.
      if (ev.position !== position) o.onQueued?.({ position: ev.position, waitDeadline: ev.waitDeadline });
      position = ev.position;
      continue;
    }
    if (ev.type === 'state' && ev.state === 'running' && waiting) {
      waiting = false;
      position = 0;
      o.onRunning?.();
    }
    if (ev.type === 'state' && ev.attempt !== attempt) {
      // Failover to another rig: its stream starts over.
      attempt = ev.attempt;
      if (nextSeq > 0) o.onRestart?.();
      nextSeq = 0;
      streamedBytes = 0;
    } else if (ev.type === 'chunk' && ev.attempt === attempt && ev.seq === nextSeq) {
      const { delta } = resultChunk.parse(openResultPart(state, ev.rigId, ev.seq, ev.sealed));
      nextSeq++;
      const room = budget - streamedBytes;
      if (room <= 0) continue;
      const { text: kept } = truncateUtf8(delta, room);
      streamedBytes += utf8.encode(kept).length;
      if (kept) o.onDelta?.(kept);
    } else if (ev.type === 'done') {
      const result = finalResult.parse(openResultPart(state, ev.rigId, 'final', ev.result));
      // The rig signed a commitment to the plaintext and its token counts; what it sealed to us must be that
      // result, and a result with token ids must count exactly its ids.
      const problem = openedResultProblem(result, ev, o.body.maxTokens);
      if (problem) {
        await call(CONTRACT.reportJob, {
          params: { id: jobId },
          body: { reason: problem.reason },
        }).catch(() => {});
        throw new ApiError(502, problem.reason, `${problem.message}; it was not shown, and was reported`);
      }
      const { text, truncated } = truncateUtf8(result.text, budget);
      const { salt: _salt, tokenIds: _ids, ...opened } = result;
      const done = { ...opened, text, jobId, rigId: ev.rigId, costNano: BigInt(ev.costNano) };
      return truncated ? { ...done, truncated } : done;
    } else if (ev.type === 'failed') {
      throw new ApiError(502, 'job_failed', ev.reason);
    }
  }
  throw new ApiError(502, 'stream_ended', 'the job stream ended without a result');
}
