// The developer's local gateway: an OpenAI-compatible HTTP server that seals every request in this process
// (shared's `runJob`: quote, seal to the quoted rigs, submit, stream, open the result here) and pays with
// the owner's API key. The proxy and the network only ever see sealed envelopes.
import { randomUUID } from 'node:crypto';
import {
  createCocoonClient,
  type JobKind,
  type LogFormat,
  type LogLevel,
  type RunJobResult,
  type SpendKeyOptions,
  type TrustTier,
} from '@cocoon/shared';
import {
  createLogger,
  DEFAULT_HTTP_TIMEOUTS,
  fastifyTimeouts,
  type HttpTimeouts,
  logRequestAtDebug,
} from '@cocoon/shared/node';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import {
  invalidRequest,
  midStreamDivergence,
  modelNotFound,
  type OpenAiError,
  toOpenAiError,
} from './errors';
import {
  AppendOnlyText,
  asSummarizePlan,
  chatChunk,
  chatCompletion,
  chatPlan,
  chatUsageChunk,
  completionPlan,
  type JobPlan,
  openAiModel,
  type ResponseMeta,
  summarySources,
  textChunk,
  textCompletion,
  textUsageChunk,
  unsentText,
  unsupportedKindMessage,
  usageOf,
} from './mapping';

/** createCocoonClient's `attestation` option (shared does not export its type by name). */
export type GatewayAttestation = NonNullable<Parameters<typeof createCocoonClient>[0]['attestation']>;

export interface GatewayOptions {
  proxyUrl: string;
  apiKey: string;
  port?: number;
  host?: string;
  /** A pino-compatible logger; without one (and without `logLevel`) the gateway logs nothing. */
  logger?: FastifyBaseLogger;
  logLevel?: LogLevel;
  /** With `logLevel` and no `logger`: json (the default) or pretty lines. */
  logFormat?: LogFormat;
  /** For tests: the fetch the proxy client uses. */
  fetch?: typeof fetch;
  /**
   * HTTP timeouts (shared/node's defaults: a request must arrive within 30 s, its headers within 10 s).
   * The idle timeout is off by default: a plain (non-stream) answer waits for its job in silence.
   */
  timeouts?: Partial<HttpTimeouts>;
  /**
   * The confidential tier: the operator's policy key (and optionally a PCCS, or a verifier in tests) this
   * gateway checks TDX rigs with before it seals to them. Without it, `cocoon_min_trust: "tdx"` is a 400.
   */
  attestation?: GatewayAttestation;
  /** The tier of requests that name no `cocoon_min_trust` (default open). */
  minTrust?: TrustTier;
  /**
   * Jobs paid from the developer's on-chain account: the spend key their account authorized and where the
   * last voucher signed is kept. Each job's voucher is signed once its result is in.
   */
  spendKey?: SpendKeyOptions;
}

export interface ClientGateway {
  /** e.g. http://127.0.0.1:10000 — OpenAI clients take `${url}/v1` as their base URL. */
  url: string;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const BODY_LIMIT = 1_048_576;

function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  return hostHeader.split(':')[0].toLowerCase();
}

export async function startClientGateway(opts: GatewayOptions): Promise<ClientGateway> {
  const host = opts.host ?? '127.0.0.1';
  const cocoon = createCocoonClient({
    baseUrl: opts.proxyUrl,
    auth: { kind: 'apiKey', key: opts.apiKey },
    fetch: opts.fetch,
    attestation: opts.attestation,
    spendKey: opts.spendKey,
  });
  const active = new Set<AbortController>();

  const app = Fastify({
    ...(opts.logger || opts.logLevel
      ? {
          loggerInstance: (opts.logger ??
            createLogger({
              name: 'cocoon-client',
              level: opts.logLevel,
              format: opts.logFormat,
            })) as FastifyBaseLogger,
        }
      : { logger: false }),
    bodyLimit: BODY_LIMIT,
    // A request must arrive in time: a body dripped slowly is cut, not held.
    ...fastifyTimeouts({ ...DEFAULT_HTTP_TIMEOUTS, idleMs: 0, ...opts.timeouts }),
    // Request logs only at debug (the onResponse hook): at info the console shows events.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.addHook('onResponse', logRequestAtDebug);

  const send = (reply: FastifyReply, e: OpenAiError) => {
    if (!e.retry) reply.header('x-should-retry', 'false');
    return reply.code(e.status).send(e.body);
  };

  // The gateway spends its owner's balance for whoever reaches it. Bound to loopback, it answers only
  // requests addressed to a loopback name, so a web page can't reach it through DNS rebinding.
  if (LOOPBACK_HOSTS.has(host)) {
    app.addHook('onRequest', async (req, reply) => {
      const h = req.headers.host;
      if (!h || !LOOPBACK_HOSTS.has(hostnameOf(h))) {
        return send(reply, {
          status: 403,
          body: {
            error: {
              message: 'this gateway only answers requests addressed to 127.0.0.1 or localhost',
              type: 'permission_error',
              code: 'forbidden_host',
              param: null,
            },
          },
          retry: false,
        });
      }
    });
  }

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode;
    if (status && status >= 400 && status < 500) {
      const message =
        err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `the request body is over ${BODY_LIMIT} bytes`
          : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? 'send the request body as application/json'
            : err.message;
      return send(reply, {
        ...invalidRequest(message, null, (err.code ?? 'invalid_request').toLowerCase()),
        status,
      });
    }
    req.log.error({ err: { message: err.message, code: err.code } }, 'request failed');
    return send(reply, {
      status: 500,
      body: { error: { message: 'internal error', type: 'api_error', code: 'internal', param: null } },
      retry: true,
    });
  });
  app.setNotFoundHandler((req, reply) =>
    send(reply, {
      status: 404,
      body: {
        error: {
          message: `no route ${req.method} ${req.url.split('?')[0]}; this gateway serves GET /v1/models, POST /v1/chat/completions and POST /v1/completions`,
          type: 'invalid_request_error',
          code: 'not_found',
          param: null,
        },
      },
      retry: false,
    }),
  );

  // The kinds each model is served for, from the proxy's model list, kept for a few seconds.
  let kindsCache: { at: number; kinds: Map<string, JobKind[] | undefined> } | undefined;
  async function servedKinds(model: string): Promise<JobKind[] | undefined> {
    if (!kindsCache || Date.now() - kindsCache.at > 10_000) {
      try {
        const list = await cocoon.models();
        kindsCache = { at: Date.now(), kinds: new Map(list.data.map((m) => [m.id, m.kinds])) };
      } catch {
        return undefined; // the job's own error will say what is wrong
      }
    }
    return kindsCache.kinds.get(model);
  }

  const modelKnown = async (model: string) => (await cocoon.models()).data.some((m) => m.id === model);

  app.get('/v1/models', async (_req, reply) => {
    try {
      const list = await cocoon.models();
      return { object: 'list', data: list.data.map(openAiModel) };
    } catch (err) {
      return send(reply, await toOpenAiError(err));
    }
  });

  app.get('/v1/models/:id', async (req, reply) => {
    const id = (req.params as { id: string }).id;
    try {
      const m = (await cocoon.models()).data.find((d) => d.id === id);
      if (!m) return send(reply, modelNotFound(id));
      return openAiModel(m);
    } catch (err) {
      return send(reply, await toOpenAiError(err));
    }
  });

  app.post('/v1/chat/completions', (req, reply) => complete(req, reply, 'chat'));
  app.post('/v1/completions', (req, reply) => complete(req, reply, 'text'));

  async function complete(req: FastifyRequest, reply: FastifyReply, kind: 'chat' | 'text') {
    let plan: JobPlan;
    try {
      plan = kind === 'chat' ? chatPlan(req.body) : completionPlan(req.body);
    } catch (err) {
      return send(reply, await toOpenAiError(err));
    }
    // A model that takes another kind of job: a summarizer summarizes the conversation; anything else is a
    // 400 naming what the model serves (never a retryable 503 for a request that can't succeed).
    const served = await servedKinds(plan.model);
    if (served && !served.includes(plan.body.kind)) {
      if (served.includes('summarize')) plan = asSummarizePlan(plan);
      else
        return send(
          reply,
          invalidRequest(
            unsupportedKindMessage(plan.model, plan.body.kind, served),
            'model',
            'unsupported_kind',
          ),
        );
    }
    const meta: ResponseMeta = {
      id: `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`,
      created: Math.floor(Date.now() / 1000),
      model: plan.model,
    };
    const controller = new AbortController();
    active.add(controller);
    // The caller hung up: stop waiting (the proxy settles the job by itself).
    const onClose = () => {
      if (!reply.raw.writableEnded) controller.abort(new Error('the caller went away'));
    };
    reply.raw.on('close', onClose);

    // The place in line the job first waited at for a free rig (0: it never waited).
    let queuedAt = 0;
    let waitBeat: NodeJS.Timeout | undefined;
    const sse = {
      started: false,
      write(data: unknown) {
        if (!reply.raw.writableEnded) reply.raw.write(`data: ${JSON.stringify(data)}\n\n`);
      },
      /** An SSE comment: OpenAI's SDKs skip it, and it keeps the connection busy while the job waits. */
      comment(text: string) {
        if (!reply.raw.writableEnded) reply.raw.write(`: ${text}\n\n`);
      },
      // Headers go out with the first delta, so errors found before it (balance, price, model) keep
      // their HTTP status, which is what OpenAI's SDKs look at.
      start() {
        if (this.started) return;
        this.started = true;
        reply.hijack();
        reply.raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
          ...(queuedAt ? { 'x-cocoon-queue-position': String(queuedAt) } : {}),
        });
        if (kind === 'chat') this.write(chatChunk(meta, { role: 'assistant', content: '' }, null));
      },
    };

    const streamed = new AppendOnlyText();
    let result: RunJobResult;
    try {
      result = await cocoon.runJob({
        model: plan.model,
        body: plan.body,
        maxPriceNanoPer1k: plan.maxPriceNanoPer1k,
        timeoutMs: plan.timeoutMs,
        maxWaitMs: plan.maxWaitMs,
        // Every rig busy: the job waits in the proxy's queue. A stream starts now (its headers carry
        // x-cocoon-queue-position) and says each new place as an SSE comment, repeated every 15 s so
        // proxies and clients keep the connection; a plain response carries the header at the end.
        onQueued: ({ position }) => {
          queuedAt ||= position;
          if (!plan.stream) return;
          sse.start();
          const say = () => sse.comment(`queued: waiting for a rig, position ${position} in line`);
          say();
          clearInterval(waitBeat);
          waitBeat = setInterval(say, 15_000);
        },
        onRunning: () => clearInterval(waitBeat),
        minTrust: plan.minTrust ?? opts.minTrust ?? 'open',
        ...(plan.priority ? { priority: plan.priority } : {}),
        signal: controller.signal,
        onDelta: plan.stream
          ? (d) => {
              const delta = streamed.push(d);
              if (!delta) return;
              sse.start();
              sse.write(
                kind === 'chat' ? chatChunk(meta, { content: delta }, null) : textChunk(meta, delta, null),
              );
            }
          : undefined,
        onRestart: () => streamed.restart(),
      });
    } catch (err) {
      const e = controller.signal.aborted
        ? cancelled(String((controller.signal.reason as Error | undefined)?.message ?? 'cancelled'))
        : await toOpenAiError(err, { model: plan.model, modelKnown });
      if (!sse.started) return send(reply, e);
      // Mid-stream: OpenAI's SDKs raise an `error` object that arrives as an event.
      sse.write(e.body);
      reply.raw.end();
      return;
    } finally {
      clearInterval(waitBeat);
      active.delete(controller);
      reply.raw.off('close', onClose);
    }

    const usage = usageOf(result);
    req.log.debug(
      { jobId: result.jobId, promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens },
      'job done',
    );
    // Cocoon's own fields: the job id, and for a summary which message each line quotes. A plain response
    // carries them at its top level; a stream on its last chunk (the finish chunk, and the usage chunk when
    // one follows it), where OpenAI's SDKs pass unknown fields through.
    const extra = {
      cocoon_job_id: result.jobId,
      ...(plan.body.kind === 'summarize' ? { cocoon_sources: summarySources(plan, result.text) } : {}),
    };
    if (!plan.stream) {
      if (queuedAt) reply.header('x-cocoon-queue-position', String(queuedAt));
      const body = kind === 'chat' ? chatCompletion(meta, result) : textCompletion(meta, result);
      return { ...body, ...extra };
    }
    sse.start();
    if (streamed.diverged) {
      // The job moved to another rig mid-stream and that rig wrote something else: what the caller has
      // can't be completed into the result (which was charged; its job id is in the message).
      sse.write(midStreamDivergence(result.jobId).body);
      reply.raw.end();
      return;
    }
    // A job that finished before we subscribed streams no chunks, only its final text: send what is missing.
    const rest = unsentText(streamed.sent, result.text);
    if (rest)
      sse.write(kind === 'chat' ? chatChunk(meta, { content: rest }, null) : textChunk(meta, rest, null));
    // Usage rides on the last choice chunk, or on its own chunk when the caller asked for
    // stream_options.include_usage (OpenAI's way); either way it is sent once.
    const finalUsage = plan.includeUsage ? undefined : usage;
    sse.write({
      ...(kind === 'chat'
        ? chatChunk(meta, {}, result.finishReason, finalUsage)
        : textChunk(meta, '', result.finishReason, finalUsage)),
      ...extra,
    });
    if (plan.includeUsage)
      sse.write({
        ...(kind === 'chat' ? chatUsageChunk(meta, usage) : textUsageChunk(meta, usage)),
        ...extra,
      });
    reply.raw.end('data: [DONE]\n\n');
  }

  await app.listen({
    port: opts.port ?? 10000,
    host,
    listenTextResolver: (at) => `OpenAI-compatible API at ${at}/v1 (proxy ${opts.proxyUrl})`,
  });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 10000);
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return {
    url: `http://${urlHost === '0.0.0.0' ? '127.0.0.1' : urlHost}:${port}`,
    close: async () => {
      for (const c of active) c.abort(new Error('the gateway is closing'));
      await app.close();
    },
  };
}

function cancelled(message: string): OpenAiError {
  return {
    status: 503,
    body: { error: { message, type: 'api_error', code: 'cancelled', param: null } },
    retry: false,
  };
}
