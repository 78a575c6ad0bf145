// Loads any ONNX causal LM in the Hugging Face layout from a local folder and serves it: @huggingface/transformers
// loads the tokenizer and the onnxruntime session (no hub, no hand-written tokenizer); the batch engine
// (batch-engine.ts) drives that session for every job of the model at once, with the network's seeded sampler.
import path from 'node:path';
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import { z } from 'zod';
import { resolveLmDevice } from '../../engine/lm-device';
import type { EngineLogger } from '../../engine/logger';
import type { DeviceChoice, Provider } from '../../engine/ort-session';
import { generateInputSchema } from '../input';
import { BatchEngine, type EngineStats } from './batch-engine';
import { readDecoderLayout, type SessionLike } from './decoder-session';
import { withSamplingDefaults } from './generation-defaults';
import { checkModelFile, chooseDtype, type Dtype, readHfFolder } from './hf-folder';
import { decodingRules, drawToken, judgePosition, samplingSchema } from './sampler';
import { type IdsScore, type IdsScorer, type ScoreIdsParams, scoreIds } from './score-ids';
import { IncrementalDecoder, StopAwareTextStream } from './stream-text';

export const generateParamsSchema = samplingSchema.extend({
  prompt: generateInputSchema.shape.prompt,
  maxTokens: generateInputSchema.shape.maxTokens,
  stop: generateInputSchema.shape.stop,
  /** Without stop sequences, detokenize for streaming at most this often (0 = every token). */
  streamIntervalMs: z.number().int().min(0).max(1000).default(25),
});
export type GenerateParams = z.input<typeof generateParamsSchema> & {
  onToken?: (textDelta: string) => void;
  /** The completion tokens decoded so far, after every step (the text stream holds back partial words). */
  onProgress?: (tokensDone: number) => void;
  signal?: AbortSignal;
};

export interface GenerateResult {
  text: string;
  promptTokens: number;
  /** The number of tokenIds. */
  completionTokens: number;
  finishReason: 'stop' | 'length';
  /** Every generated token id, the end-of-sequence token and a stop sequence's tokens included. */
  tokenIds: number[];
}

export const scoreParamsSchema = samplingSchema.extend({
  prompt: generateInputSchema.shape.prompt,
  /** The output a rig claims the model gave for this prompt, parameters and seed. */
  completion: z.string(),
  /** How the rig says generation ended; the end is checked like a token. */
  finishReason: z.enum(['stop', 'length']).default('stop'),
  maxTokens: generateInputSchema.shape.maxTokens,
  stop: generateInputSchema.shape.stop,
});
export type ScoreParams = z.input<typeof scoreParamsSchema>;

export interface ScoreResult {
  promptTokens: number;
  /** The completion's tokens by this model's own tokenizer: what an honest receipt counts (before a stop). */
  completionTokens: number;
  /** Positions judged: every completion token, plus the end of the output. */
  positions: number;
  /** Judged positions where the seeded sampler reproduces the claim (up to float noise). */
  agreeing: number;
  /** agreeing / positions. */
  agreement: number;
  /**
   * Whether the output ends where the model would end it: at an end-of-sequence token or a stop sequence the
   * sampler draws there ('stop'), or at the token limit ('length'). A truncated output fails here.
   */
  endAgrees: boolean;
}

export interface CausalLM {
  dir: string;
  provider: Provider;
  /** The ONNX file served, by transformers.js dtype (fp32: onnx/model.onnx, q8: onnx/model_quantized.onnx…). */
  dtype: Dtype;
  contextLength: number;
  isInstruct: boolean;
  demoGrade: boolean;
  description?: string;
  generate(params: GenerateParams): Promise<GenerateResult>;
  /**
   * Checks a claimed completion in one forward pass over prompt + completion: the seeded sampler is replayed
   * at every completion position against the model's logits there.
   */
  score(params: ScoreParams): Promise<ScoreResult>;
  /** Checks claimed token ids (result v2) in one forward pass, and decodes them as generate does (score-ids.ts). */
  scoreIds(params: ScoreIdsParams): Promise<IdsScore>;
  /** Tokens the model sees for this text, special tokens included (as in promptTokens). */
  countTokens(text: string): number;
  /** For instruct models: the prompt for a chat, by the model's own chat template. */
  formatChat(messages: { role: 'system' | 'user' | 'assistant'; content: string }[]): string;
  /** What the batch engine holds now (for benches and metrics). */
  engineStats(): EngineStats;
  dispose(): Promise<void>;
}

export class PromptTooLongError extends Error {
  constructor(
    readonly promptTokens: number,
    readonly contextLength: number,
  ) {
    super(
      `prompt is ${promptTokens} tokens but the model's context holds ${contextLength}; ` +
        'shorten the prompt (at least one token must remain for the completion)',
    );
    this.name = 'PromptTooLongError';
  }
}

export class GenerationAbortedError extends Error {
  constructor(readonly partial: GenerateResult) {
    super('generation aborted');
    this.name = 'GenerationAbortedError';
  }
}

// transformers.js reads models relative to the global env.localModelPath, so loads take turns.
let loadQueue: Promise<unknown> = Promise.resolve();
function serialLoad<T>(fn: () => Promise<T>): Promise<T> {
  const run = loadQueue.then(fn, fn);
  loadQueue = run.catch(() => undefined);
  return run;
}

export interface LoadCausalLMOptions {
  device: DeviceChoice;
  /** onnxruntime intra-op threads; default: onnxruntime's own choice. */
  threads?: number;
  logger?: EngineLogger;
  /** 0..1 while files are read and the session is created. */
  onProgress?: (fraction: number) => void;
  label?: string;
  /** The ONNX file to serve; default the best one the folder has for the device (hf-folder.ts). */
  dtype?: Dtype;
  /** Jobs decoded together in one forward pass (the rig's --slots); default 8. */
  maxBatch?: number;
  /** Cache tokens for all running jobs together, padding included; default: 1 GiB of cache, at least one context. */
  kvBudgetTokens?: number;
  /** Prompt tokens per prefill pass between decode steps; default 256. */
  prefillChunk?: number;
}

export const DEFAULT_MAX_BATCH = 8;
export const DEFAULT_KV_BUDGET_BYTES = 1024 ** 3;
export const DEFAULT_PREFILL_CHUNK = 256;
/** Files whose activations are quantized per call (one scale for the whole batch): not batch-invariant. */
const DYNAMIC_QUANT_DTYPES = new Set<string>(['q8', 'int8', 'uint8']);

export async function loadCausalLM(dir: string, opts: LoadCausalLMOptions): Promise<CausalLM> {
  const info = readHfFolder(dir, { dtype: opts.dtype });
  const label = opts.label ?? path.basename(info.dir);
  opts.onProgress?.(0);

  const { tokenizer, model, provider, dtype } = await loadWeights(info, opts, label);
  opts.onProgress?.(1);

  const encode = (text: string): number[] => tokenizer.encode(text);
  const decode = (ids: bigint[]): string =>
    ids.length ? tokenizer.decode(ids, { skip_special_tokens: true }) : '';
  const config = model.config as { eos_token_id?: number | number[] };
  const eosList = [model.generation_config?.eos_token_id ?? config.eos_token_id]
    .flat()
    .filter((x): x is number => typeof x === 'number');
  const eosIds = new Set<number>(eosList);
  const rules = decodingRules(
    model.generation_config as unknown as Record<string, unknown> | undefined,
    eosList,
  );

  const engine = batchEngineFor(model, info, dtype, opts, label);
  const lm: LoadedLM = { info, tokenizer, engine, encode, decode, eosIds, rules };

  const vocabSize = (model.config as { vocab_size?: unknown }).vocab_size;
  const idsScorer: IdsScorer = {
    encode,
    decode: (ids) => decode(ids.map(BigInt)),
    eosIds: new Set([...eosIds].map(Number)),
    vocabSize: typeof vocabSize === 'number' ? vocabSize : undefined,
    contextLength: info.contextLength,
    rules,
    // A prefill in the batch engine's loop, beside the jobs decoding (as scoreWith does).
    forEachLogits: (ids, onLogits) => engine.run({ prompt: ids, maxTokens: ids.length, onLogits }),
  };

  return {
    dir: info.dir,
    provider,
    dtype,
    contextLength: info.contextLength,
    isInstruct: info.isInstruct,
    demoGrade: info.demoGrade,
    description: info.description,
    countTokens: (text) => encode(text).length,
    formatChat(messages) {
      if (!info.isInstruct) throw new Error(`${label} has no chat template`);
      return tokenizer.apply_chat_template(messages, {
        tokenize: false,
        add_generation_prompt: true,
      }) as string;
    },
    generate(params) {
      if (params.signal?.aborted) return Promise.reject(new GenerationAbortedError(emptyResult()));
      return generateWith(lm, params);
    },
    score: (params) => scoreWith(lm, params),
    // The job's sampling with the model's defaults where it set none, exactly as generate() drew it.
    scoreIds: (params) => scoreIds(idsScorer, withSamplingDefaults(params, info.sampling)),
    engineStats: () => engine.stats(),
    dispose: async () => {
      await engine.close();
      await model.dispose();
    },
  };
}

/** What a loaded model's jobs run on. */
interface LoadedLM {
  info: ReturnType<typeof readHfFolder>;
  tokenizer: PreTrainedTokenizer;
  engine: BatchEngine;
  encode(text: string): number[];
  decode(ids: bigint[]): string;
  eosIds: Set<number>;
  rules: ReturnType<typeof decodingRules>;
}

/** The tokenizer and the model's session, on the device chosen, from the folder's best file for it. */
function loadWeights(info: ReturnType<typeof readHfFolder>, opts: LoadCausalLMOptions, label: string) {
  const parent = `${path.dirname(info.dir)}${path.sep}`;
  const id = path.basename(info.dir);
  let dtype: Dtype = info.dtype;
  return serialLoad(async () => {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = parent;
    const tok = await AutoTokenizer.from_pretrained(id, { local_files_only: true });
    opts.onProgress?.(0.1);
    const loaded = await resolveLmDevice(
      opts.device,
      (device) => {
        // The device decides the default file (fp32 on CPU, fp16 on CUDA when the folder has them).
        dtype = opts.dtype ?? chooseDtype(info.dir, info.dtypes, undefined, device);
        const chunks = dtype === info.dtype ? info.externalDataChunks : checkModelFile(info.dir, dtype);
        return AutoModelForCausalLM.from_pretrained(id, {
          local_files_only: true,
          device,
          dtype,
          // How many `<file>_data*` chunks (0: weights inline, or named other ways onnxruntime still reads).
          use_external_data_format: chunks,
          ...(opts.threads
            ? { session_options: { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } }
            : {}),
          progress_callback: (p: { status: string; progress?: number }) => {
            if (p.status === 'progress_total' && typeof p.progress === 'number') {
              opts.onProgress?.(0.1 + 0.8 * Math.min(1, p.progress / 100));
            }
          },
        });
      },
      { logger: opts.logger, label },
    );
    return {
      tokenizer: tok as PreTrainedTokenizer,
      model: loaded.value as PreTrainedModel,
      provider: loaded.provider,
      dtype,
    };
  });
}

/** The batch engine on the model's decoder session; dynamically quantized files decode one job at a time. */
function batchEngineFor(
  model: PreTrainedModel,
  info: ReturnType<typeof readHfFolder>,
  dtype: Dtype,
  opts: LoadCausalLMOptions,
  label: string,
): BatchEngine {
  const session = (model as unknown as { sessions: Record<string, SessionLike> }).sessions.model;
  if (!session) throw new Error(`${label}: transformers.js loaded no decoder session named "model"`);
  const layout = readDecoderLayout(session);
  // Dynamically quantized files (q8, int8, uint8: MatMulInteger after DynamicQuantizeLinear) quantize the
  // activations with one scale per tensor, so the rows of a batch change each other's logits: 16 of 24 jobs
  // on the tiny q8 test decoder came out otherwise batched than alone. They decode one job at a time.
  const batchInvariant = !DYNAMIC_QUANT_DTYPES.has(dtype);
  const maxBatch = batchInvariant ? (opts.maxBatch ?? DEFAULT_MAX_BATCH) : 1;
  if (!batchInvariant && (opts.maxBatch ?? DEFAULT_MAX_BATCH) > 1) {
    opts.logger?.warn(
      { model: label, dtype },
      'dynamically quantized weights depend on the batch: this model decodes one job at a time (fp32, fp16 or q4 files batch)',
    );
  }
  return new BatchEngine(session, {
    maxBatch,
    kvBudgetTokens:
      opts.kvBudgetTokens ??
      Math.max(info.contextLength, Math.floor(DEFAULT_KV_BUDGET_BYTES / layout.kvBytesPerToken)),
    prefillChunk: opts.prefillChunk ?? DEFAULT_PREFILL_CHUNK,
  });
}

/** One generate job on the loaded model, decoded in the batch engine beside the others. */
async function generateWith(lm: LoadedLM, params: GenerateParams): Promise<GenerateResult> {
  const { info, engine, encode, decode, eosIds, rules } = lm;
  const p = generateParamsSchema.parse(withSamplingDefaults(params, info.sampling));
  const promptIds = encode(p.prompt);
  const promptTokens = promptIds.length;
  if (promptTokens >= info.contextLength) throw new PromptTooLongError(promptTokens, info.contextLength);
  if (promptTokens === 0) throw new Error('prompt is empty after tokenization');
  const maxNew = Math.min(p.maxTokens, info.contextLength - promptTokens);

  const stops = p.stop ?? [];
  const stream = new StopAwareTextStream(stops, params.onToken);
  // With stop sequences the text is checked at every token, so generation stops right at a stop. Without,
  // nothing depends on the text until the end: the stream is decoded at most every `streamIntervalMs`, and
  // clients get deltas in batches of that period instead of paying a detokenize per token. With neither
  // stops nor a listener there is nothing to decode before the end.
  const checkEveryToken = stops.length > 0;
  let onIds: ((ids: bigint[]) => void) | undefined;
  if (checkEveryToken) {
    const incremental = new IncrementalDecoder(decode);
    onIds = (ids) => stream.update(incremental.text(ids));
  } else if (params.onToken) {
    const incremental = new IncrementalDecoder(decode);
    const interval = p.streamIntervalMs;
    let lastDecodeAt = Number.NEGATIVE_INFINITY;
    onIds = (ids) => {
      const now = performance.now();
      if (now - lastDecodeAt < interval) return;
      lastDecodeAt = now;
      stream.update(incremental.text(ids));
    };
  }
  const signal = params.signal;
  const ids: bigint[] = [];
  const history = [...promptIds];
  let sawEos = false;
  await engine.run({
    prompt: promptIds,
    maxTokens: promptTokens + maxNew,
    cancelled: () => Boolean(signal?.aborted),
    next: (logits) => {
      // Each job draws with its own seed and position: its tokens don't depend on the batch around it.
      const token = drawToken({ logits, history, position: ids.length }, p, rules);
      history.push(token);
      ids.push(BigInt(token));
      onIds?.(ids);
      params.onProgress?.(ids.length);
      sawEos = eosIds.has(token);
      const done = sawEos || ids.length >= maxNew || stream.stopped || Boolean(signal?.aborted);
      return done ? null : token;
    },
  });

  const completionTokens = ids.length;
  const text = stream.finish(decode(ids));
  const finishReason = stream.stopped || sawEos || completionTokens < maxNew ? 'stop' : 'length';
  const tokenIds = ids.map(Number);
  const result: GenerateResult = { text, promptTokens, completionTokens, finishReason, tokenIds };
  if (signal?.aborted) throw new GenerationAbortedError(result);
  return result;
}

/** Checks a claimed completion on the loaded model (CausalLM.score). */
async function scoreWith(lm: LoadedLM, params: ScoreParams): Promise<ScoreResult> {
  const { info, tokenizer, engine, encode, eosIds, rules } = lm;
  const p = scoreParamsSchema.parse(withSamplingDefaults(params, info.sampling));
  const promptIds = encode(p.prompt);
  const completionIds: number[] = p.completion
    ? tokenizer.encode(p.completion, { add_special_tokens: false })
    : [];
  const all = [...promptIds, ...completionIds];
  if (promptIds.length === 0) throw new Error('prompt is empty after tokenization');
  if (all.length > info.contextLength) throw new PromptTooLongError(all.length, info.contextLength);
  const maxNew = Math.min(p.maxTokens, info.contextLength - promptIds.length);

  // The token that may end the output: end of sequence, or the first token of a stop.
  const enders = [...eosIds];
  for (const s of p.stop ?? []) {
    const first = tokenizer.encode(s, { add_special_tokens: false })[0];
    if (first !== undefined) enders.push(first);
  }
  const history = Int32Array.from(all);
  let agreeing = 0;
  let endAgrees = false;
  // The logits at position t are for token t + 1: completion token i is judged at promptIds.length - 1 + i,
  // and the end of the output right after the last one. Judged chunk by chunk, so a long claim never holds
  // every position's logits at once.
  const judge = (start: number, logits: Float32Array, count: number) => {
    const vocab = logits.length / count;
    for (let t = start; t < start + count; t++) {
      const i = t - (promptIds.length - 1);
      if (i < 0) continue;
      const step = {
        logits: logits.subarray((t - start) * vocab, (t - start + 1) * vocab),
        history: history.subarray(0, promptIds.length + i),
        position: i,
      };
      if (i < completionIds.length) {
        if (judgePosition(step, completionIds[i], p, rules)) agreeing++;
      } else if (p.finishReason === 'length') {
        endAgrees = completionIds.length >= maxNew;
      } else if (completionIds.length >= maxNew) {
        // The limit came first; a claimed 'stop' here is a stop sequence found in the last token at most.
        endAgrees = (p.stop?.length ?? 0) > 0;
      } else {
        endAgrees = enders.some((e) => judgePosition(step, e, p, rules));
      }
    }
  };
  await engine.run({ prompt: all, maxTokens: all.length, onLogits: judge });

  if (endAgrees) agreeing++;
  const positions = completionIds.length + 1;
  return {
    promptTokens: promptIds.length,
    completionTokens: completionIds.length,
    positions,
    agreeing,
    agreement: agreeing / positions,
    endAgrees,
  };
}

function emptyResult(): GenerateResult {
  return { text: '', promptTokens: 0, completionTokens: 0, finishReason: 'stop', tokenIds: [] };
}
