// POST /v1/chat/completions and /v1/completions: the request's job plan, run through the shared client's
// `runJob` (sealed in this process), answered as one body or as OpenAI's server-sent chunks.
import { randomUUID } from 'node:crypto';
import type { CocoonClient, JobKind, RunJobResult, TrustTier } from '@cocoon/shared';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalidRequest, midStreamDivergence, type OpenAiError, toOpenAiError } from './errors';
import {
  AppendOnlyText,
  asSummarizePlan,
  chatChunk,
  chatCompletion,
  chatPlan,
  completionPlan,
  type JobPlan,
  type ResponseMeta,
  summarySources,
  textChunk,
  textCompletion,
  unsentText,
  unsupportedKindMessage,
  usageChunk,
  usageOf,
} from './mapping';
import { servedKindsOf } from './models';
import { sendOpenAiError as send } from './server';

type Kind = 'chat' | 'text';
type ServedKinds = (model: string) => Promise<JobKind[] | undefined>;

export interface CompletionDeps {
  cocoon: CocoonClient;
  /** The jobs being waited for, aborted when the gateway closes. */
  active: Set<AbortController>;
  /** The tier of requests that name no `cocoon_min_trust` (default open). */
  minTrust?: TrustTier;
}

export function completionRoutes(app: FastifyInstance, deps: CompletionDeps): void {
  const servedKinds = servedKindsOf(deps.cocoon);
  app.post('/v1/chat/completions', (req, reply) => complete(deps, servedKinds, req, reply, 'chat'));
  app.post('/v1/completions', (req, reply) => complete(deps, servedKinds, req, reply, 'text'));
}

/**
 * The request's job plan, or the error to answer. A model that takes another kind of job: a summarizer
 * summarizes the conversation; anything else is a 400 naming what the model serves (never a retryable 503
 * for a request that can't succeed).
 */
async function planOf(body: unknown, kind: Kind, servedKinds: ServedKinds): Promise<JobPlan | OpenAiError> {
  let plan: JobPlan;
  try {
    plan = kind === 'chat' ? chatPlan(body) : completionPlan(body);
  } catch (err) {
    return toOpenAiError(err);
  }
  const served = await servedKinds(plan.model);
  if (served && !served.includes(plan.body.kind)) {
    if (!served.includes('summarize'))
      return invalidRequest(
        unsupportedKindMessage(plan.model, plan.body.kind, served),
        'model',
        'unsupported_kind',
      );
    plan = asSummarizePlan(plan);
  }
  return plan;
}

/** The answer's server-sent events; nothing is sent before `start()`. */
function sseWriter(reply: FastifyReply, kind: Kind, meta: ResponseMeta) {
  return {
    started: false,
    /** The place in line the job first waited at for a free rig (0: it never waited). */
    queuedAt: 0,
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
        ...(this.queuedAt ? { 'x-cocoon-queue-position': String(this.queuedAt) } : {}),
      });
      if (kind === 'chat') this.write(chatChunk(meta, { role: 'assistant', content: '' }, null));
    },
  };
}
type Sse = ReturnType<typeof sseWriter>;

async function complete(
  deps: CompletionDeps,
  servedKinds: ServedKinds,
  req: FastifyRequest,
  reply: FastifyReply,
  kind: Kind,
) {
  const plan = await planOf(req.body, kind, servedKinds);
  if ('status' in plan) return send(reply, plan);
  const meta: ResponseMeta = {
    id: `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`,
    created: Math.floor(Date.now() / 1000),
    model: plan.model,
  };
  const controller = new AbortController();
  deps.active.add(controller);
  // The caller hung up: stop waiting (the proxy settles the job by itself).
  const onClose = () => {
    if (!reply.raw.writableEnded) controller.abort(new Error('the caller went away'));
  };
  reply.raw.on('close', onClose);
  const sse = sseWriter(reply, kind, meta);
  const streamed = new AppendOnlyText();
  let result: RunJobResult;
  try {
    result = await runPlan(deps, plan, kind, meta, sse, streamed, controller.signal);
  } catch (err) {
    const modelKnown = async (model: string) => (await deps.cocoon.models()).data.some((m) => m.id === model);
    const e = controller.signal.aborted
      ? cancelled(String((controller.signal.reason as Error | undefined)?.message ?? 'cancelled'))
      : await toOpenAiError(err, { model: plan.model, modelKnown });
    if (!sse.started) return send(reply, e);
    // Mid-stream: OpenAI's SDKs raise an `error` object that arrives as an event.
    sse.write(e.body);
    reply.raw.end();
    return;
  } finally {
    deps.active.delete(controller);
    reply.raw.off('close', onClose);
  }
  return answer(req, reply, { plan, kind, meta, sse, streamed, result });
}

/** Runs the plan's job; a stream starts with its first delta, or when the job waits in the queue. */
async function runPlan(
  deps: CompletionDeps,
  plan: JobPlan,
  kind: Kind,
  meta: ResponseMeta,
  sse: Sse,
  streamed: AppendOnlyText,
  signal: AbortSignal,
): Promise<RunJobResult> {
  let waitBeat: NodeJS.Timeout | undefined;
  try {
    return await deps.cocoon.runJob({
      model: plan.model,
      body: plan.body,
      maxPriceNanoPer1k: plan.maxPriceNanoPer1k,
      timeoutMs: plan.timeoutMs,
      maxWaitMs: plan.maxWaitMs,
      // Every rig busy: the job waits in the proxy's queue. A stream starts now (its headers carry
      // x-cocoon-queue-position) and says each new place as an SSE comment, repeated every 15 s so
      // proxies and clients keep the connection; a plain response carries the header at the end.
      onQueued: ({ position }) => {
        sse.queuedAt ||= position;
        if (!plan.stream) return;
        sse.start();
        const say = () => sse.comment(`queued: waiting for a rig, position ${position} in line`);
        say();
        clearInterval(waitBeat);
        waitBeat = setInterval(say, 15_000);
      },
      onRunning: () => clearInterval(waitBeat),
      minTrust: plan.minTrust ?? deps.minTrust ?? 'open',
      ...(plan.priority ? { priority: plan.priority } : {}),
      signal,
      onDelta: plan.stream
        ? (d) => {
            const delta = streamed.push(d);
            if (!delta) return;
            sse.start();
            sse.write(deltaChunk(meta, kind, delta));
          }
        : undefined,
      onRestart: () => streamed.restart(),
    });
  } finally {
    clearInterval(waitBeat);
  }
}

interface Finished {
  plan: JobPlan;
  kind: Kind;
  meta: ResponseMeta;
  sse: Sse;
  streamed: AppendOnlyText;
  result: RunJobResult;
}

/** The job's result as one body, or as the stream's last chunks. */
function answer(
  req: FastifyRequest,
  reply: FastifyReply,
  { plan, kind, meta, sse, streamed, result }: Finished,
) {
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
    if (sse.queuedAt) reply.header('x-cocoon-queue-position', String(sse.queuedAt));
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
  if (rest) sse.write(deltaChunk(meta, kind, rest));
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
      ...usageChunk(meta, kind, usage),
      ...extra,
    });
  reply.raw.end('data: [DONE]\n\n');
}

/** A chunk of streamed text, in the stream's shape. */
function deltaChunk(meta: ResponseMeta, kind: Kind, text: string) {
  return kind === 'chat' ? chatChunk(meta, { content: text }, null) : textChunk(meta, text, null);
}

function cancelled(message: string): OpenAiError {
  return {
    status: 503,
    body: { error: { message, type: 'api_error', code: 'cancelled', param: null } },
    retry: false,
  };
}
