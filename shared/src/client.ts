// The typed client for the proxy's HTTP API, used by the bot, the Mini App and the developer gateway.
// `runJob` is the whole private path: quote, seal in this process, submit, stream, open the result here.
import { type ClientAttestationOptions, createAttestationChecker } from './attestation/client-check';
import { PolicyRejected } from './attestation/policy';
import { fromBase64, utf8 } from './bytes';
import type {
  BindWalletRequest,
  Candidate,
  ChatSettingsView,
  CreateStarsInvoiceRequest,
  JobEvent,
  ListChatMessagesQuery,
  MarketPriority,
  OnchainConfig,
  QuoteRequest,
  StarsPaymentRequest,
  StarsPreCheckoutRequest,
  StarsReversalRequest,
  TonProofRequest,
  TrustTier,
} from './contract';
// Not the whole CONTRACT: the dev routes stay out of what the Mini App bundles.
import { API_ROUTES as CONTRACT } from './contract/api';
import { rigEvidenceView } from './contract/attestation';
import { type BodyOf, type HttpRoute, pathFor, type ResponseOf } from './contract/route';
import { openedResultProblem } from './crypto/commitment';
import { type ClientSealState, openResultPart, sealJob } from './crypto/envelope';
import { x25519KeyB64Problem } from './crypto/key-checks';
import { type SpendKeyOptions, signJobVoucher } from './onchain/voucher-signer';
import { resultByteBudget, truncateUtf8 } from './result-budget';
import { type FinalResult, finalResult, type JobBody, resultChunk } from './schemas/envelope';
import { defaultTransport, type HttpResponse } from './transport';

export type ClientAuth =
  | { kind: 'tma'; initData: string }
  /** The bot's service key, acting for `telegramId` (no user for its own routes: the chat history). */
  | { kind: 'service'; key: string; telegramId?: number | string; name?: string }
  | { kind: 'apiKey'; key: string }
  /** The operator's ADMIN_KEY, for /v1/admin routes only. */
  | { kind: 'admin'; key: string }
  | { kind: 'none' };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

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

/** A withdrawal as the Mini App asks for it; `tonProof` is needed above the proxy's threshold. */
export interface WithdrawRequest {
  amountNano: bigint;
  idempotencyKey: string;
  tonProof?: TonProofRequest;
}

export interface RunJobResult extends Omit<FinalResult, 'salt' | 'tokenIds'> {
  jobId: string;
  rigId: string;
  costNano: bigint;
  /** Set when the rig sent more text than the job's token budget allows; `text` was cut to the budget. */
  truncated?: true;
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

/** How many times a broken job stream is reopened before the client gives up (about a minute of tries). */
const RESUME_TRIES = 30;

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

export function createCocoonClient(opts: {
  baseUrl: string;
  auth: ClientAuth;
  fetch?: typeof fetch;
  /** For `minTrust: 'tdx'` jobs: the operator's policy key, and optionally a verifier and a PCCS. */
  attestation?: ClientAttestationOptions;
  /**
   * For a user whose jobs are paid from their on-chain account: the spend key that signs each job's voucher
   * once its result is in (shared/src/onchain/voucher-signer.ts). Without it the next job waits (409
   * `voucher_due`) until the voucher is signed elsewhere.
   */
  spendKey?: SpendKeyOptions;
}) {
  const base = opts.baseUrl.replace(/\/$/, '');
  const send = defaultTransport(opts.fetch);
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

  function headers(extra?: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = { ...extra };
    const a = opts.auth;
    if (a.kind === 'tma') h.authorization = `tma ${a.initData}`;
    if (a.kind === 'apiKey') h.authorization = `Bearer ${a.key}`;
    if (a.kind === 'admin') h.authorization = `Admin ${a.key}`;
    if (a.kind === 'service') {
      h.authorization = `Service ${a.key}`;
      if (a.telegramId !== undefined) h['x-cocoon-user'] = String(a.telegramId);
      if (a.name) h['x-cocoon-user-name'] = encodeURIComponent(a.name);
    }
    return h;
  }

  async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const res = await send({
      method,
      url: `${base}${path}`,
      headers: headers(body === undefined ? undefined : { 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    if (!res.ok) throw await failure(res);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async function failure(res: HttpResponse): Promise<ApiError> {
    const json = await res
      .text()
      .then((t) => JSON.parse(t))
      .catch(() => undefined);
    return new ApiError(
      res.status,
      json?.error?.code ?? 'http_error',
      json?.error?.message ?? res.statusText,
    );
  }

  /** Calls a contract route: its path filled from `params`, `query` appended, `body` sent as JSON. */
  function call<R extends HttpRoute>(
    r: R,
    o: {
      params?: Record<string, string | number>;
      query?: Record<string, string | number | undefined>;
      body?: BodyOf<R>;
      signal?: AbortSignal;
    } = {},
  ): Promise<ResponseOf<R>> {
    let path = pathFor(r, o.params);
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) q.set(k, String(v));
    const qs = q.toString();
    if (qs) path += `?${qs}`;
    return request<ResponseOf<R>>(r.method, path, o.body, o.signal);
  }

  /** Reads server-sent job events from a response until `done` or `failed`. */
  async function* eventsOf(res: HttpResponse): AsyncGenerator<JobEvent> {
    if (!res.ok) throw await failure(res);
    let buf = '';
    let ended = false;
    try {
      for await (const piece of res.chunks()) {
        buf += piece;
        let idx = buf.indexOf('\n\n');
        while (idx >= 0) {
          const frame = buf.slice(0, idx);
          buf = buf.slice(idx + 2);
          const data = frame
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart())
            .join('\n');
          if (data) {
            const event = JSON.parse(data) as JobEvent;
            // The proxy ends the stream right after an end event: keep the connection for reuse.
            ended = event.type === 'done' || event.type === 'failed';
            yield event;
            if (ended) return;
          }
          idx = buf.indexOf('\n\n');
        }
      }
    } finally {
      if (ended) res.release();
      else res.cancel();
    }
  }

  /** Streams a job's server-sent events until `done` or `failed`. */
  async function* jobEvents(jobId: string, signal?: AbortSignal): AsyncGenerator<JobEvent> {
    yield* eventsOf(
      await send({
        method: 'GET',
        url: `${base}${pathFor(CONTRACT.jobEvents, { id: jobId })}`,
        headers: headers(),
        signal,
      }),
    );
  }

  /** Submits a sealed job and streams its events from the same response (one request, not two). */
  async function* submitAndStream(s: Submission, signal?: AbortSignal): AsyncGenerator<JobEvent> {
    const res = await send({
      method: 'POST',
      url: `${base}${pathFor(CONTRACT.submitJob)}`,
      headers: headers({ 'content-type': 'application/json', accept: 'text/event-stream' }),
      body: JSON.stringify(s),
      signal,
    });
    if (!res.ok) throw await failure(res);
    // A proxy that answers with the job as JSON (an older one): stream from /events instead.
    if (!res.contentType.includes('text/event-stream')) {
      res.cancel();
      yield* jobEvents(s.quoteId, signal);
      return;
    }
    yield* eventsOf(res);
  }

  /**
   * A job's events that survive a proxy restart: while the proxy can't be reached the submit is retried with
   * the same idempotency key (a replay answers with the same job), and a stream that breaks before the job
   * ends is reopened at GET /v1/jobs/:id/events, which replays the job's state and the current attempt's
   * chunks (already-seen chunks are skipped by their seq). Bounded: RESUME_TRIES reconnections, backing off
   * to 2 s, and the job's own timeout. An API error (4xx, 5xx answered) is final.
   */
  async function* resumableEvents(s: Submission, signal: AbortSignal): AsyncGenerator<JobEvent> {
    let accepted = false;
    for (let tries = 0; ; tries++) {
      try {
        const stream = accepted ? jobEvents(s.quoteId, signal) : submitAndStream(s, signal);
        for await (const ev of stream) {
          accepted = true;
          tries = 0;
          yield ev;
          if (ev.type === 'done' || ev.type === 'failed') return;
        }
      } catch (err) {
        if (err instanceof ApiError || signal.aborted) throw err;
      }
      if (tries >= RESUME_TRIES) {
        throw new ApiError(
          502,
          'stream_ended',
          'the job stream ended without a result and could not be resumed',
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** tries)));
    }
  }

  const api = {
    health: () => call(CONTRACT.health),
    me: () => call(CONTRACT.me),
    ledger: () => call(CONTRACT.ledger),
    myJobs: () => call(CONTRACT.myJobs),
    market: () => call(CONTRACT.market),
    models: () => call(CONTRACT.models),
    quote: (
      q: Omit<QuoteRequest, 'maxPriceNanoPer1k'> & { maxPriceNanoPer1k?: bigint },
      signal?: AbortSignal,
    ) => call(CONTRACT.quote, { body: { ...q, maxPriceNanoPer1k: q.maxPriceNanoPer1k?.toString() }, signal }),
    submit: (s: Submission, signal?: AbortSignal) =>
      request<ResponseOf<typeof CONTRACT.submitJob>>('POST', pathFor(CONTRACT.submitJob), s, signal),
    job: (id: string) => call(CONTRACT.job, { params: { id } }),
    /** Cancels a job waiting in the queue: its hold goes back at once (409 `job_running` once a rig has it). */
    cancelJob: (id: string) => call(CONTRACT.cancelJob, { params: { id } }),
    jobEvents,
    rigs: () => call(CONTRACT.rigs),
    registerRig: (name: string) => call(CONTRACT.registerRig, { body: { name } }),
    setRigPaused: (id: string, paused: boolean) =>
      call(CONTRACT.setRigPaused, { params: { id }, body: { paused } }),
    setAsk: (id: string, model: string, priceNanoPer1k: bigint) =>
      call(CONTRACT.setAsk, { params: { id, model }, body: { priceNanoPer1k: priceNanoPer1k.toString() } }),
    rotateRigToken: (id: string) => call(CONTRACT.rotateRigToken, { params: { id } }),
    revokeRig: (id: string) => call(CONTRACT.revokeRig, { params: { id } }),
    rigAudits: (id: string) => call(CONTRACT.rigAudits, { params: { id } }),
    rigHistory: (id: string) => call(CONTRACT.rigHistory, { params: { id } }),
    releaseRig: (id: string) => call(CONTRACT.releaseRig, { params: { id } }),
    attestRig: (id: string) => call(CONTRACT.attestRig, { params: { id } }),
    addBond: (id: string, amountNano: bigint) =>
      call(CONTRACT.addBond, { params: { id }, body: { amountNano: amountNano.toString() } }),
    withdrawBond: (id: string) => call(CONTRACT.withdrawBond, { params: { id } }),
    apiKeys: () => call(CONTRACT.apiKeys),
    createApiKey: (name: string) => call(CONTRACT.createApiKey, { body: { name } }),
    revokeApiKey: (id: string) => call(CONTRACT.revokeApiKey, { params: { id } }),

    // TON payments.
    tonConfig: () => call(CONTRACT.tonConfig),
    proofPayload: () => call(CONTRACT.proofPayload),
    /** 200: bound at once; 202: a change of the bound wallet, pending until `pendingWalletAt`. */
    bindWallet: (body: BindWalletRequest) => call(CONTRACT.bindWallet, { body }),
    wallet: () => call(CONTRACT.wallet),
    cancelWalletChange: () => call(CONTRACT.cancelWalletChange),
    /** 409 `wallet_change_pending` while a wallet change waits; 403 `fresh_proof_required` above the threshold without `tonProof`. */
    withdraw: ({ amountNano, idempotencyKey, tonProof }: WithdrawRequest) =>
      call(CONTRACT.withdraw, {
        body: { amountNano: amountNano.toString(), idempotencyKey, ...(tonProof ? { tonProof } : {}) },
      }),
    withdrawals: () => call(CONTRACT.withdrawals),

    // On-chain accounts.
    onchainConfig: () => call(CONTRACT.onchainConfig),
    onchainAccount: () => call(CONTRACT.onchainAccount),
    registerOnchain: () => call(CONTRACT.registerOnchain),
    onchainPayout: (amountNano: bigint) =>
      call(CONTRACT.onchainPayout, { body: { amountNano: amountNano.toString() } }),

    // Telegram Stars (proxy/src/stars/): the offer, invoices, the bot's reports (service key), purchases, refunds.
    starsOffer: () => call(CONTRACT.starsOffer),
    createStarsInvoice: (body: CreateStarsInvoiceRequest) => call(CONTRACT.createStarsInvoice, { body }),
    /** The bot, for a pre_checkout_query: `{ ok: false, reason }` goes to answerPreCheckoutQuery as is. */
    starsPreCheckout: (body: StarsPreCheckoutRequest) => call(CONTRACT.starsPreCheckout, { body }),
    /** The bot, for a successful_payment: `credited: false` when this charge was credited before. */
    starsPayment: (body: StarsPaymentRequest) => call(CONTRACT.starsPayment, { body }),
    /** The bot, for a refunded_payment. */
    starsReversal: (body: StarsReversalRequest) => call(CONTRACT.starsReversal, { body }),
    starsPurchases: () => call(CONTRACT.starsPurchases),
    refundStarsPurchase: (id: string) => call(CONTRACT.refundStarsPurchase, { params: { id } }),
    /** The operator (ADMIN_KEY): refunds any paid charge. */
    adminRefundStars: (telegramPaymentChargeId: string) =>
      call(CONTRACT.adminRefundStars, { body: { telegramPaymentChargeId } }),

    // The bot's sealed chat history (service key, for no user); answers are checked against the contract.
    appendChatMessage: async (chatId: number | string, body: BodyOf<typeof CONTRACT.appendChatMessage>) =>
      CONTRACT.appendChatMessage.response.parse(
        await call(CONTRACT.appendChatMessage, { params: { chatId }, body }),
      ),
    chatMessages: async (chatId: number | string, query: ListChatMessagesQuery) =>
      CONTRACT.chatMessages.response.parse(
        await call(CONTRACT.chatMessages, {
          params: { chatId },
          query: {
            limit: query.limit as number | undefined,
            fromMessageId: query.fromMessageId as number | undefined,
          },
        }),
      ),
    chatSettings: async (chatId: number | string) =>
      CONTRACT.chatSettings.response.parse(await call(CONTRACT.chatSettings, { params: { chatId } })),
    setChatSettings: async (chatId: number | string, body: ChatSettingsView) =>
      CONTRACT.setChatSettings.response.parse(
        await call(CONTRACT.setChatSettings, { params: { chatId }, body }),
      ),
    forgetChat: async (chatId: number | string) =>
      CONTRACT.forgetChat.response.parse(await call(CONTRACT.forgetChat, { params: { chatId } })),

    /** The operator's view of deposits nobody could be credited for (ADMIN_KEY). */
    unclaimed: () => call(CONTRACT.unclaimed),

    call,
    request,
    /** A route's body as text: the CSV exports (RIG_JOBS_CSV_PATH, PAYOUTS_CSV_PATH). */
    async text(path: string): Promise<string> {
      const res = await send({ method: 'GET', url: `${base}${path}`, headers: headers() });
      if (!res.ok) throw await failure(res);
      return res.text();
    },

    /** Quote, seal for the candidates, submit, stream and open the result. Plaintext never leaves this process. */
    async runJob(o: RunJobOptions): Promise<RunJobResult> {
      const controller = new AbortController();
      const timer = o.timeoutMs
        ? setTimeout(() => controller.abort(new Error('timeout')), o.timeoutMs)
        : undefined;
      let submittedId: string | undefined;
      const onAbort = () => {
        controller.abort(o.signal?.reason);
        // A job still waiting in the queue is cancelled, so its hold goes back now (a running one is the
        // rig's: the proxy refuses, and that is fine).
        if (submittedId) api.cancelJob(submittedId).catch(() => {});
      };
      o.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const quote = await api.quote(
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
          {
            quoteId: quote.quoteId,
            envelope,
            idempotencyKey: o.idempotencyKey ?? randomId(),
            ...(o.maxWaitMs !== undefined ? { maxWaitMs: o.maxWaitMs } : {}),
          },
          controller.signal,
        );
        const result = await readResult(quote.quoteId, state, o, events);
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
    },
  };

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

  async function readResult(
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

  return api;
}

export type CocoonClient = ReturnType<typeof createCocoonClient>;

/** A sealed job as submitted (POST /v1/jobs). */
type Submission = { quoteId: string; envelope: unknown; idempotencyKey: string; maxWaitMs?: number };

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
