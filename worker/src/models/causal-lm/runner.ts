// Loads any ONNX causal LM in the Hugging Face layout from a local folder and generates with it,
// through @huggingface/transformers (tokenizer, KV cache, sampling) — no hub, no hand-written tokenizer.
import path from 'node:path';
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  BaseStreamer,
  env,
  LogitsProcessor,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  StoppingCriteria,
  Tensor,
} from '@huggingface/transformers';
import { z } from 'zod';
import { resolveLmDevice } from '../../engine/lm-device';
import type { EngineLogger } from '../../engine/logger';
import type { DeviceChoice, Provider } from '../../engine/ort-session';
import { withSamplingDefaults } from './generation-defaults';
import { checkModelFile, chooseDtype, type Dtype, readHfFolder } from './hf-folder';
import {
  type DecodingRules,
  decodingRules,
  drawToken,
  judgePosition,
  LIBRARY_RULES_OFF,
  type SamplingParams,
  samplingSchema,
} from './sampler';
import { type IdsScore, type IdsScorer, type ScoreIdsParams, scoreIds } from './score-ids';
import { IncrementalDecoder, StopAwareTextStream } from './stream-text';

export const generateParamsSchema = samplingSchema.extend({
  prompt: z.string(),
  maxTokens: z.number().int().positive().max(100_000),
  stop: z.array(z.string().min(1)).max(16).optional(),
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
  prompt: z.string(),
  /** The output a rig claims the model gave for this prompt, parameters and seed. */
  completion: z.string(),
  /** How the rig says generation ended; the end is checked like a token. */
  finishReason: z.enum(['stop', 'length']).default('stop'),
  maxTokens: z.number().int().positive().max(100_000),
  stop: z.array(z.string().min(1)).max(16).optional(),
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

/**
 * Chooses each token with the network's seeded sampler (sampler.ts) and hands the library a one-hot row, so
 * its greedy step picks exactly that token: the library keeps the KV cache, the sampler owns the choice.
 */
class SeededSamplerProcessor extends LogitsProcessor {
  constructor(
    private readonly promptLength: number,
    private readonly params: SamplingParams,
    private readonly rules: DecodingRules,
  ) {
    super();
  }
  override _call(inputIds: bigint[][], logits: Tensor): Tensor {
    const vocab = logits.dims.at(-1) as number;
    const data = logits.data as Float32Array;
    inputIds.forEach((ids, b) => {
      const row = data.subarray(b * vocab, (b + 1) * vocab);
      const history = Int32Array.from(ids, Number);
      const token = drawToken(
        { logits: row, history, position: history.length - this.promptLength },
        this.params,
        this.rules,
      );
      row.fill(Number.NEGATIVE_INFINITY);
      row[token] = 0;
    });
    return logits;
  }
}

class FlagStoppingCriteria extends StoppingCriteria {
  constructor(private readonly shouldStop: () => boolean) {
    super();
  }
  override _call(inputIds: number[][]): boolean[] {
    const stop = this.shouldStop();
    return inputIds.map(() => stop);
  }
}

/**
 * Collects generated ids (the first put is the prompt), hands each step to `onIds`, if any, and counts it
 * to `onProgress`.
 */
class CompletionStreamer extends BaseStreamer {
  readonly ids: bigint[] = [];
  private seenPrompt = false;
  constructor(
    private readonly onIds?: (ids: bigint[]) => void,
    private readonly onProgress?: (tokensDone: number) => void,
  ) {
    super();
  }
  override put(value: bigint[][]): void {
    if (!this.seenPrompt) {
      this.seenPrompt = true;
      return;
    }
    this.ids.push(value[0][0]);
    this.onIds?.(this.ids);
    this.onProgress?.(this.ids.length);
  }
  override end(): void {}
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
}

export async function loadCausalLM(dir: string, opts: LoadCausalLMOptions): Promise<CausalLM> {
  const info = readHfFolder(dir, { dtype: opts.dtype });
  const parent = `${path.dirname(info.dir)}${path.sep}`;
  const id = path.basename(info.dir);
  const label = opts.label ?? id;
  opts.onProgress?.(0);

  let dtype: Dtype = info.dtype;
  const { tokenizer, model, provider } = await serialLoad(async () => {
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
    };
  });
  opts.onProgress?.(1);

  const encode = (text: string): number[] => tokenizer.encode(text);
  const decode = (ids: bigint[]): string =>
    ids.length ? tokenizer.decode(ids, { skip_special_tokens: true }) : '';
  const eosIds = new Set<bigint>(
    [
      model.generation_config?.eos_token_id ??
        (model.config as { eos_token_id?: number | number[] }).eos_token_id,
    ]
      .flat()
      .filter((x): x is number => typeof x === 'number')
      .map((x) => BigInt(x)),
  );
  const rules = decodingRules(
    model.generation_config as unknown as Record<string, unknown> | undefined,
    [...eosIds].map(Number),
  );

  let queue: Promise<unknown> = Promise.resolve();

  async function generateNow(params: GenerateParams): Promise<GenerateResult> {
    const p = generateParamsSchema.parse(withSamplingDefaults(params, info.sampling));
    const inputs = tokenizer(p.prompt);
    const promptTokens = inputs.input_ids.dims.at(-1) as number;
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
    const streamer = new CompletionStreamer(onIds, params.onProgress);
    const signal = params.signal;
    // Only a stop sequence or an abort can end generation early; otherwise no check runs per token.
    const stoppingCriteria =
      checkEveryToken || signal
        ? [new FlagStoppingCriteria(() => stream.stopped || Boolean(signal?.aborted))]
        : null;
    await model.generate({
      ...inputs,
      ...LIBRARY_RULES_OFF,
      max_new_tokens: maxNew,
      logits_processor: [new SeededSamplerProcessor(promptTokens, p, rules)],
      stopping_criteria: stoppingCriteria,
      streamer,
    } as unknown as Parameters<PreTrainedModel['generate']>[0]);

    const ids = streamer.ids;
    const completionTokens = ids.length;
    // Generation ends at the first end-of-sequence token, so only the last id can be one.
    const sawEos = completionTokens > 0 && eosIds.has(ids[completionTokens - 1]);
    const text = stream.finish(decode(ids));
    const finishReason = stream.stopped || sawEos || completionTokens < maxNew ? 'stop' : 'length';
    const tokenIds = ids.map(Number);
    const result: GenerateResult = { text, promptTokens, completionTokens, finishReason, tokenIds };
    if (params.signal?.aborted) throw new GenerationAbortedError(result);
    return result;
  }

  async function scoreNow(params: ScoreParams): Promise<ScoreResult> {
    const p = scoreParamsSchema.parse(withSamplingDefaults(params, info.sampling));
    const promptIds = encode(p.prompt);
    const completionIds: number[] = p.completion
      ? tokenizer.encode(p.completion, { add_special_tokens: false })
      : [];
    const all = [...promptIds, ...completionIds];
    if (promptIds.length === 0) throw new Error('prompt is empty after tokenization');
    if (all.length > info.contextLength) throw new PromptTooLongError(all.length, info.contextLength);
    const maxNew = Math.min(p.maxTokens, info.contextLength - promptIds.length);

    const data = await allLogits(all);
    const vocab = data.length / all.length;
    const history = Int32Array.from(all);
    const stepAt = (i: number) => {
      const at = promptIds.length - 1 + i; // the logits at position t are for token t + 1
      return {
        logits: data.subarray(at * vocab, (at + 1) * vocab),
        history: history.subarray(0, promptIds.length + i),
        position: i,
      };
    };
    let agreeing = 0;
    for (let i = 0; i < completionIds.length; i++) {
      if (judgePosition(stepAt(i), completionIds[i], p, rules)) agreeing++;
    }

    let endAgrees: boolean;
    if (p.finishReason === 'length') {
      endAgrees = completionIds.length >= maxNew;
    } else if (completionIds.length >= maxNew) {
      // The limit came first; a claimed 'stop' here is a stop sequence found in the last token at most.
      endAgrees = (p.stop?.length ?? 0) > 0;
    } else {
      // The next token must be one that ends the output: end of sequence, or the first token of a stop.
      const enders = [...eosIds].map(Number);
      for (const s of p.stop ?? []) {
        const first = tokenizer.encode(s, { add_special_tokens: false })[0];
        if (first !== undefined) enders.push(first);
      }
      const step = stepAt(completionIds.length);
      endAgrees = enders.some((t) => judgePosition(step, t, p, rules));
    }
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

  /** One forward pass over `ids`: the logits at every position, [ids.length × vocab]. */
  async function allLogits(ids: number[]): Promise<Float32Array> {
    const inputIds = new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]);
    const mask = new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
    const forward = model as unknown as (x: object) => Promise<{ logits: Tensor }>;
    const logits = (await forward({ input_ids: inputIds, attention_mask: mask })).logits.to('float32');
    const positions = logits.dims.at(-2);
    if (positions !== ids.length) {
      throw new Error(
        `the model returned logits for ${positions} of ${ids.length} positions; scoring needs all`,
      );
    }
    return logits.data as Float32Array;
  }

  const vocabSize = (model.config as { vocab_size?: unknown }).vocab_size;
  const idsScorer: IdsScorer = {
    encode,
    decode: (ids) => decode(ids.map(BigInt)),
    eosIds: new Set([...eosIds].map(Number)),
    vocabSize: typeof vocabSize === 'number' ? vocabSize : undefined,
    contextLength: info.contextLength,
    rules,
    allLogits,
  };

  /** One forward pass at a time per model: a rig serves one job per slot. */
  function inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  }

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
      return inTurn(() => generateNow(params));
    },
    score: (params) => inTurn(() => scoreNow(params)),
    // The job's sampling with the model's defaults where it set none, exactly as generate() drew it.
    scoreIds: (params) => inTurn(() => scoreIds(idsScorer, withSamplingDefaults(params, info.sampling))),
    dispose: async () => {
      await model.dispose();
    },
  };
}

function emptyResult(): GenerateResult {
  return { text: '', promptTokens: 0, completionTokens: 0, finishReason: 'stop', tokenIds: [] };
}
