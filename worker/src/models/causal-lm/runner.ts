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
  type Tensor,
} from '@huggingface/transformers';
import { z } from 'zod';
import { resolveLmDevice } from '../../engine/lm-device';
import type { EngineLogger } from '../../engine/logger';
import type { DeviceChoice, Provider } from '../../engine/ort-session';
import { readHfFolder } from './hf-folder';
import { IncrementalDecoder, StopAwareTextStream } from './stream-text';

export const generateParamsSchema = z.object({
  prompt: z.string(),
  maxTokens: z.number().int().positive().max(100_000),
  /** 0 = greedy. */
  temperature: z.number().min(0).max(5).default(0.7),
  topP: z.number().gt(0).max(1).default(0.9),
  stop: z.array(z.string().min(1)).max(16).optional(),
  /** Without stop sequences, detokenize for streaming at most this often (0 = every token). */
  streamIntervalMs: z.number().int().min(0).max(1000).default(25),
});
export type GenerateParams = z.input<typeof generateParamsSchema> & {
  onToken?: (textDelta: string) => void;
  signal?: AbortSignal;
};

export interface GenerateResult {
  text: string;
  promptTokens: number;
  completionTokens: number;
  finishReason: 'stop' | 'length';
}

export interface CausalLM {
  dir: string;
  provider: Provider;
  contextLength: number;
  isInstruct: boolean;
  demoGrade: boolean;
  description?: string;
  generate(params: GenerateParams): Promise<GenerateResult>;
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

/** Nucleus sampling: transformers.js samples with temperature and top-k only. */
class TopPLogitsWarper extends LogitsProcessor {
  constructor(private readonly topP: number) {
    super();
  }
  override _call(_inputIds: bigint[][], logits: Tensor): Tensor {
    const [batch, vocab] = logits.dims.length === 2 ? logits.dims : [1, logits.dims.at(-1)!];
    const data = logits.data as Float32Array;
    for (let b = 0; b < batch; b++) {
      const row = data.subarray(b * vocab, (b + 1) * vocab);
      const order = Array.from(row.keys()).sort((x, y) => row[y] - row[x]);
      const max = row[order[0]];
      let total = 0;
      for (const i of order) total += Math.exp(row[i] - max);
      let mass = 0;
      let keep = 0;
      for (const i of order) {
        mass += Math.exp(row[i] - max) / total;
        keep++;
        if (mass >= this.topP) break;
      }
      for (let j = keep; j < order.length; j++) row[order[j]] = Number.NEGATIVE_INFINITY;
    }
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

/** Collects generated ids (the first put is the prompt) and hands each step to `onIds`, if any. */
class CompletionStreamer extends BaseStreamer {
  readonly ids: bigint[] = [];
  private seenPrompt = false;
  constructor(private readonly onIds?: (ids: bigint[]) => void) {
    super();
  }
  override put(value: bigint[][]): void {
    if (!this.seenPrompt) {
      this.seenPrompt = true;
      return;
    }
    this.ids.push(value[0][0]);
    this.onIds?.(this.ids);
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
  logger?: EngineLogger;
  /** 0..1 while files are read and the session is created. */
  onProgress?: (fraction: number) => void;
  label?: string;
}

export async function loadCausalLM(dir: string, opts: LoadCausalLMOptions): Promise<CausalLM> {
  const info = readHfFolder(dir);
  const parent = `${path.dirname(info.dir)}${path.sep}`;
  const id = path.basename(info.dir);
  const label = opts.label ?? id;
  opts.onProgress?.(0);

  const { tokenizer, model, provider } = await serialLoad(async () => {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = parent;
    const tok = await AutoTokenizer.from_pretrained(id, { local_files_only: true });
    opts.onProgress?.(0.1);
    const loaded = await resolveLmDevice(
      opts.device,
      (device) =>
        AutoModelForCausalLM.from_pretrained(id, {
          local_files_only: true,
          device,
          dtype: info.dtype as 'fp32',
          use_external_data_format: info.externalData,
          progress_callback: (p: { status: string; progress?: number }) => {
            if (p.status === 'progress_total' && typeof p.progress === 'number') {
              opts.onProgress?.(0.1 + 0.8 * Math.min(1, p.progress / 100));
            }
          },
        }),
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

  // One generation at a time per model: a rig serves one job per slot.
  let queue: Promise<unknown> = Promise.resolve();

  async function generateNow(params: GenerateParams): Promise<GenerateResult> {
    const p = generateParamsSchema.parse(params);
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
    const streamer = new CompletionStreamer(onIds);
    const signal = params.signal;
    // Only a stop sequence or an abort can end generation early; otherwise no check runs per token.
    const stoppingCriteria =
      checkEveryToken || signal
        ? [new FlagStoppingCriteria(() => stream.stopped || Boolean(signal?.aborted))]
        : null;
    const greedy = p.temperature === 0;
    await model.generate({
      ...inputs,
      max_new_tokens: maxNew,
      do_sample: !greedy,
      temperature: greedy ? 1 : p.temperature,
      top_k: 0,
      logits_processor: !greedy && p.topP < 1 ? [new TopPLogitsWarper(p.topP)] : null,
      stopping_criteria: stoppingCriteria,
      streamer,
    } as unknown as Parameters<PreTrainedModel['generate']>[0]);

    const ids = streamer.ids;
    const completionTokens = ids.length;
    // Generation ends at the first end-of-sequence token, so only the last id can be one.
    const sawEos = completionTokens > 0 && eosIds.has(ids[completionTokens - 1]);
    const text = stream.finish(decode(ids));
    const finishReason = stream.stopped || sawEos || completionTokens < maxNew ? 'stop' : 'length';
    const result: GenerateResult = { text, promptTokens, completionTokens, finishReason };
    if (params.signal?.aborted) throw new GenerationAbortedError(result);
    return result;
  }

  return {
    dir: info.dir,
    provider,
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
      const run = queue.then(
        () => generateNow(params),
        () => generateNow(params),
      );
      queue = run.catch(() => undefined);
      return run;
    },
    dispose: async () => {
      await model.dispose();
    },
  };
}

function emptyResult(): GenerateResult {
  return { text: '', promptTokens: 0, completionTokens: 0, finishReason: 'stop' };
}
