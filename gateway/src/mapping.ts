// OpenAI request bodies → Cocoon job bodies, and Cocoon results → OpenAI response objects.
// Every request is validated here with zod; a bad field becomes a 400 that names it.
import {
  attributeSummaryLines,
  type JobBody,
  type JobKind,
  jobTimeoutMs,
  MAX_TOKENS,
  type MarketPriority,
  type ModelList,
  marketPriority,
  NANO_DIGITS,
  type RunJobResult,
  type TrustTier,
} from '@cocoon/shared';
import { z } from 'zod';

/** The network's limit on `maxTokens` (a quote's and a job body's). */
export const MAX_TOKENS_LIMIT = MAX_TOKENS;
/** Used when a request names no `max_tokens`; the hold is sized from it, the charge from what was used. */
export const DEFAULT_MAX_TOKENS = 256;
/**
 * Used when a request names no `timeout`, in seconds: the least. Longer jobs get more (shared's jobTimeoutMs:
 * the proxy ends a job only when its rig stops making progress, so a fixed total would cut a slow rig that
 * is producing a long answer).
 */
export const DEFAULT_TIMEOUT_S = 300;

const STOP_MSG = 'must be a string or an array of at most 4 strings, each 1 to 64 characters';
const stopSequence = z.string(STOP_MSG).min(1, STOP_MSG).max(64, STOP_MSG);
const stop = z
  .union([stopSequence, z.array(stopSequence, STOP_MSG).max(4, STOP_MSG)], { error: STOP_MSG })
  .nullish()
  .transform((s) => (s == null ? undefined : typeof s === 'string' ? [s] : s.length ? s : undefined));

const MAX_PRICE_MSG = 'must be a whole number of nanoTON per 1k tokens (a number or a string of digits)';
const maxPrice = z
  .union(
    [
      z.number(MAX_PRICE_MSG).int(MAX_PRICE_MSG).nonnegative(MAX_PRICE_MSG),
      z.string(MAX_PRICE_MSG).regex(NANO_DIGITS, MAX_PRICE_MSG),
    ],
    { error: MAX_PRICE_MSG },
  )
  .transform((v) => BigInt(v));

const tokens = z
  .number()
  .int('must be a whole number')
  .positive('must be at least 1')
  .max(MAX_TOKENS_LIMIT, `must be at most ${MAX_TOKENS_LIMIT}`);

/** Fields chat and text completions share: sampling, limits, and Cocoon's own `max_price` and `timeout`. */
const common = {
  model: z.string().min(1, 'name a model; GET /v1/models lists them').max(128),
  max_tokens: tokens.nullish(),
  temperature: z.number('must be a number').min(0, 'must be 0 to 2').max(2, 'must be 0 to 2').nullish(),
  top_p: z
    .number('must be a number')
    .gt(0, 'must be above 0, at most 1')
    .max(1, 'must be above 0, at most 1')
    .nullish(),
  /** OpenAI's `seed`: the same seed, model and request give the same output on any honest rig. */
  seed: z
    .number('must be a whole number')
    .int('must be a whole number')
    .min(0, 'must be 0 or more')
    .max(Number.MAX_SAFE_INTEGER, `must be at most ${Number.MAX_SAFE_INTEGER}`)
    .nullish(),
  /** Not in OpenAI's API, as in vLLM's: sample only among the k likeliest tokens (0 = no cut). */
  top_k: z.number('must be a whole number').int('must be a whole number').min(0).max(1000).nullish(),
  stop,
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  n: z.literal(1, 'only n = 1 is supported').nullish(),
  /** Cocoon: the most to pay a rig, in nanoTON per 1,000 tokens (before the platform fee). */
  max_price: maxPrice.nullish(),
  /** Cocoon: seconds to wait for the whole job. */
  timeout: z.number().positive('must be a positive number of seconds').max(3600).nullish(),
  /**
   * Cocoon: the least trust tier a rig must be in. `tdx`: only rigs whose TDX quote this gateway verified
   * itself against the operator's signed policy; `open`: any rig. Unset: the gateway's default.
   */
  cocoon_min_trust: z.enum(['open', 'tdx'], { error: 'must be "open" or "tdx"' }).nullish(),
  /**
   * The longest the job may wait in the proxy's queue for a free rig, in seconds (the proxy's QUEUE_WAIT_MS
   * when absent or larger); 0: don't wait.
   */
  cocoon_max_wait: z.number().min(0, 'must be 0 or more seconds').max(3600).nullish(),
  /**
   * Cocoon: which rig the job goes to first. `price` (the default): the cheapest ask; `speed`: the soonest
   * expected result by the rigs' measured speed, within the same candidate rules.
   */
  cocoon_priority: marketPriority.nullish(),
};

const textPart = z.object({
  type: z.literal('text', 'only text content parts are supported'),
  text: z.string(),
});
const messageContent = z
  .union([z.string(), z.array(textPart)], { error: 'must be a string or an array of text parts' })
  .nullish()
  .transform((c) => (c == null ? '' : typeof c === 'string' ? c : c.map((p) => p.text).join('')));

const chatMessage = z.object({
  role: z.enum(
    ['system', 'developer', 'user', 'assistant'],
    'must be one of system, developer, user, assistant (tools are not supported)',
  ),
  content: messageContent,
  name: z.string().max(128).nullish(),
});

export const chatCompletionRequest = z.looseObject({
  ...common,
  messages: z.array(chatMessage).min(1, 'send at least one message').max(500),
  max_completion_tokens: tokens.nullish(),
});
export type ChatCompletionRequest = z.output<typeof chatCompletionRequest>;

export const completionRequest = z.looseObject({
  ...common,
  prompt: z.union([z.string(), z.array(z.string()).length(1)], {
    error: 'must be a string (or an array of one string: one prompt per request)',
  }),
  echo: z.literal(false, 'echo is not supported').nullish(),
  logprobs: z.null('logprobs are not supported').optional(),
  best_of: z.literal(1, 'only best_of = 1 is supported').nullish(),
  suffix: z.null('suffix is not supported').optional(),
});
export type CompletionRequest = z.output<typeof completionRequest>;

/** A request field that failed validation: the message names it, `param` is its path. */
export class InvalidRequest extends Error {
  constructor(
    message: string,
    readonly param: string | null,
  ) {
    super(message);
    this.name = 'InvalidRequest';
  }
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)),
    '',
  );
}

/** Parses with `schema` or throws InvalidRequest naming the first bad field. */
export function parseRequest<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidRequest('the request body must be a JSON object', null);
  }
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const param = formatPath(issue.path);
  const missing = issue.code === 'invalid_type' && issue.message.includes('received undefined');
  const what = missing ? 'is required' : issue.message;
  throw new InvalidRequest(param ? `${param}: ${what}` : what, param || null);
}

/** What a gateway needs to run one job. */
export interface JobPlan {
  model: string;
  body: JobBody;
  stream: boolean;
  includeUsage: boolean;
  maxPriceNanoPer1k?: bigint;
  timeoutMs: number;
  /** The request's `cocoon_max_wait` in milliseconds; undefined: the proxy's QUEUE_WAIT_MS. */
  maxWaitMs?: number;
  /** The request's `cocoon_min_trust`; undefined: the gateway's default. */
  minTrust?: TrustTier;
  /** The request's `cocoon_priority`; undefined: the market's default (price). */
  priority?: MarketPriority;
}

function plan(r: ChatCompletionRequest | CompletionRequest, body: JobBody): JobPlan {
  const maxWaitMs = r.cocoon_max_wait != null ? Math.round(r.cocoon_max_wait * 1000) : undefined;
  return {
    model: r.model,
    body,
    stream: r.stream === true,
    includeUsage: r.stream_options?.include_usage === true,
    maxPriceNanoPer1k: r.max_price ?? undefined,
    // A wait in the queue, then the run: the timeout fits both unless the request names one.
    timeoutMs:
      r.timeout != null
        ? Math.round(r.timeout * 1000)
        : jobTimeoutMs(body.maxTokens, DEFAULT_TIMEOUT_S * 1000, maxWaitMs),
    ...(maxWaitMs !== undefined ? { maxWaitMs } : {}),
    minTrust: r.cocoon_min_trust ?? undefined,
    priority: r.cocoon_priority ?? undefined,
  };
}

function sampling(r: ChatCompletionRequest | CompletionRequest) {
  return {
    ...(r.temperature != null ? { temperature: r.temperature } : {}),
    ...(r.top_p != null ? { topP: r.top_p } : {}),
    ...(r.top_k != null ? { topK: r.top_k } : {}),
    ...(r.seed != null ? { seed: r.seed } : {}),
    ...(r.stop ? { stop: r.stop } : {}),
  };
}

/** messages → a `chat` job body. `developer` is OpenAI's newer name for `system`. */
export function chatPlan(raw: unknown): JobPlan {
  const r = parseRequest(chatCompletionRequest, raw);
  return plan(r, {
    kind: 'chat',
    messages: r.messages.map((m) => ({
      role: m.role === 'developer' ? 'system' : m.role,
      ...(m.name ? { author: m.name } : {}),
      content: m.content,
    })),
    maxTokens: r.max_completion_tokens ?? r.max_tokens ?? DEFAULT_MAX_TOKENS,
    ...sampling(r),
  });
}

/** prompt → a `generate` job body. */
export function completionPlan(raw: unknown): JobPlan {
  const r = parseRequest(completionRequest, raw);
  return plan(r, {
    kind: 'generate',
    prompt: typeof r.prompt === 'string' ? r.prompt : r.prompt[0],
    maxTokens: r.max_tokens ?? DEFAULT_MAX_TOKENS,
    ...sampling(r),
  });
}

// ---- responses ----

/**
 * The part of the final text a stream has not carried yet. Chunks can be missing (the job ended before the
 * stream was read), never reordered; text already sent can't be taken back, so a mismatch sends nothing.
 */
export function unsentText(streamed: string, final: string): string {
  return final.startsWith(streamed) ? final.slice(streamed.length) : '';
}

/**
 * What an append-only stream (OpenAI SSE: sent deltas can't be taken back) may send of a job's deltas,
 * which start over when the job fails over to another rig mid-stream. The new rig's text is held back
 * until it passes what was already sent and forwarded from there; if it says something else (sampling
 * differs between rigs), nothing more goes out and `diverged` says the stream can't be completed.
 */
export class AppendOnlyText {
  sent = '';
  diverged = false;
  private attempt = '';

  /** The job started over on another rig. */
  restart(): void {
    this.attempt = '';
  }

  /** Takes a delta of the current attempt; returns the text to send now ('' for nothing). */
  push(delta: string): string {
    this.attempt += delta;
    if (this.diverged) return '';
    const [shorter, longer] =
      this.attempt.length <= this.sent.length ? [this.attempt, this.sent] : [this.sent, this.attempt];
    if (!longer.startsWith(shorter)) {
      this.diverged = true;
      return '';
    }
    if (this.attempt.length <= this.sent.length) return '';
    const out = this.attempt.slice(this.sent.length);
    this.sent = this.attempt;
    return out;
  }
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** What the job cost the key's owner, in nanoTON (rig price plus the platform fee). */
  cost_nanoton: string;
}

export function usageOf(r: Pick<RunJobResult, 'promptTokens' | 'completionTokens' | 'costNano'>): Usage {
  return {
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    total_tokens: r.promptTokens + r.completionTokens,
    cost_nanoton: r.costNano.toString(),
  };
}

export interface ResponseMeta {
  id: string;
  created: number;
  model: string;
}

/** The fields every OpenAI completion object and chunk starts with. */
function responseHead<O extends string>(meta: ResponseMeta, object: O) {
  return { id: meta.id, object, created: meta.created, model: meta.model, system_fingerprint: null };
}

/** A streamed chunk: its one choice (index 0, no logprobs) and, on the last one where asked, the usage. */
function streamChunk<O extends string, C extends object>(
  meta: ResponseMeta,
  object: O,
  choice: C,
  finishReason: 'stop' | 'length' | null,
  usage?: Usage,
) {
  return {
    ...responseHead(meta, object),
    choices: [{ index: 0, ...choice, logprobs: null, finish_reason: finishReason }],
    ...(usage ? { usage } : {}),
  };
}

export function chatCompletion(meta: ResponseMeta, r: RunJobResult) {
  return {
    ...responseHead(meta, 'chat.completion'),
    choices: [
      {
        index: 0,
        message: { role: 'assistant' as const, content: r.text, refusal: null },
        logprobs: null,
        finish_reason: r.finishReason,
      },
    ],
    usage: usageOf(r),
  };
}

export function chatChunk(
  meta: ResponseMeta,
  delta: { role?: 'assistant'; content?: string },
  finishReason: 'stop' | 'length' | null,
  usage?: Usage,
) {
  return streamChunk(meta, 'chat.completion.chunk', { delta }, finishReason, usage);
}

export function textCompletion(meta: ResponseMeta, r: RunJobResult) {
  return {
    ...responseHead(meta, 'text_completion'),
    choices: [{ index: 0, text: r.text, logprobs: null, finish_reason: r.finishReason }],
    usage: usageOf(r),
  };
}

export function textChunk(
  meta: ResponseMeta,
  text: string,
  finishReason: 'stop' | 'length' | null,
  usage?: Usage,
) {
  return streamChunk(meta, 'text_completion', { text }, finishReason, usage);
}

/**
 * The usage on a chunk of its own, after the finish chunk (stream_options.include_usage): no choices, in the
 * stream's object (a chat's chunk or a completion's).
 */
export function usageChunk(meta: ResponseMeta, kind: 'chat' | 'text', usage: Usage) {
  return {
    ...responseHead(meta, kind === 'chat' ? 'chat.completion.chunk' : 'text_completion'),
    choices: [],
    usage,
  };
}

// ---- models that serve another kind ----

const KIND_ROUTES: Record<JobKind, string> = {
  chat: 'POST /v1/chat/completions (a conversation)',
  generate: 'POST /v1/completions (a prompt)',
  summarize: 'POST /v1/chat/completions or /v1/completions (the conversation or transcript to summarize)',
};

/** Why a model can't take a request: names what it does serve and where to send it. */
/** A model of the proxy's list as OpenAI's model object (plus Cocoon's demo_grade and digest; no kinds). */
export function openAiModel(m: ModelList['data'][number]) {
  return {
    id: m.id,
    object: 'model' as const,
    created: 0,
    owned_by: m.owned_by,
    demo_grade: m.demo_grade,
    digest: m.digest,
  };
}

export function unsupportedKindMessage(model: string, asked: JobKind, served: readonly JobKind[]): string {
  const list = served.map((k) => `${k}: ${KIND_ROUTES[k]}`).join('; ');
  return `model ${model} does not serve ${asked} requests; it serves ${served.join(', ') || 'nothing right now'}${list ? ` (${list})` : ''}`;
}

/**
 * A chat or text plan turned into a summarize job, for a model that only summarizes (summarize-extractive):
 * the conversation's messages (system and developer ones left out; `name` as the author) or the prompt as
 * one transcript ("Name: text" lines are read as messages by the summarizer).
 */
export function asSummarizePlan(p: JobPlan): JobPlan {
  const body = p.body;
  if (body.kind === 'summarize') return p;
  const messages =
    body.kind === 'chat'
      ? body.messages
          .filter((m) => m.role !== 'system' && m.content.trim().length > 0)
          .map((m) => ({ ...(m.author ? { author: m.author } : {}), text: m.content }))
      : [{ text: body.prompt }];
  return { ...p, body: { kind: 'summarize', messages, maxTokens: body.maxTokens } };
}

/** For a summary: which message (index in the request's conversation) each line of the answer quotes. */
export function summarySources(
  p: JobPlan,
  text: string,
): Array<{ line: number; message_index: number | null }> {
  if (p.body.kind !== 'summarize') return [];
  return attributeSummaryLines(text, p.body.messages).map((l, line) => ({
    line,
    message_index: l.messageIndex ?? null,
  }));
}
