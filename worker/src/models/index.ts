// The models a worker serves: the extractive summarizer and the demo generator always, plus every
// Hugging Face ONNX causal-LM folder found in modelsDir (named after its folder).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { JobKind } from '@cocoon/shared';
import { detectDevice } from '../engine/detect-device';
import { defaultEngineLogger, type EngineLogger, logDetail } from '../engine/logger';
import { CudaUnavailableError, type DeviceChoice, type Provider } from '../engine/ort-session';
import { DTYPE_FILES, type Dtype, looksLikeModelFolder, readHfFolder } from './causal-lm/hf-folder';
import { type CausalLM, loadCausalLM, type ScoreResult } from './causal-lm/runner';
import type { IdsScore } from './causal-lm/score-ids';
import { DEFAULT_DEMO_DIR, DEFAULT_MODELS_DIR, DEMO_MODEL_ID, ensureDemoModel } from './demo-gen/index';
import { type DigestCache, fileDigestCache, folderDigest, servedFiles, summarizerDigest } from './digest';
import { type ModelInput, type ModelKind, modelInputSchema } from './input';
import { chatPromptTokens } from './summarizer/chat-summary';
import { createSummarizer } from './summarizer/summarize';

export const SUMMARIZER_ID = 'summarize-extractive';

export { type ModelInput, type ModelKind, modelInputSchema } from './input';
export { DEFAULT_MODELS_DIR, DEMO_MODEL_ID, ensureDemoModel };

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface JobResult {
  text: string;
  promptTokens: number;
  completionTokens: number;
  /** 'length' when generation stopped at maxTokens or the context; absent means 'stop'. */
  finishReason?: 'stop' | 'length';
  /**
   * Causal LMs: every generated token id (completionTokens of them), sealed in the result (v2) for auditors.
   * Absent for models without tokens of their own (the extractive summarizer).
   */
  tokenIds?: number[];
}

/** What a rig claims a model produced for a job: the text and how it ended. */
export interface ClaimedOutput {
  text: string;
  finishReason: 'stop' | 'length';
}

/** A v2 claim: the token ids too. */
export interface ClaimedIds extends ClaimedOutput {
  tokenIds: number[];
}

export interface Model {
  id: string;
  kind: ModelKind;
  /** Job kinds run() accepts: instruct LMs also take summarize jobs. */
  accepts: ModelKind[];
  /** Tokens of input the model takes (for the summarizer: the input size it ranks in full). */
  contextLength: number;
  description: string;
  demoGrade: boolean;
  /**
   * sha256 over the canonical listing of the model's files (models/digest.ts): what the proxy's catalogue
   * pins the model's name to. Absent for models made up in tests; the proxy refuses those if catalogued.
   */
  digest?: string;
  provider: Provider;
  /**
   * Runs a job. `onProgress` hears the tokens done so far (completion tokens decoded; the summarizer, whose
   * summary exists only at the end, reports once it does): the worker's heartbeat carries it to the proxy,
   * whose deadlines measure progress, not streamed text.
   */
  run(
    job: ModelInput,
    onDelta: (textDelta: string) => void,
    signal?: AbortSignal,
    onProgress?: (tokensDone: number) => void,
  ): Promise<JobResult>;
  /**
   * The prompt tokens run() will report for this job, counted the same way but without running it, so
   * a worker can refuse a job that is over its quote or the context before spending compute on it.
   */
  countPromptTokens(job: ModelInput): number;
  /** Generate models only: a chat as one prompt, by the model's chat template when it has one. */
  chatPrompt?(messages: ChatTurn[]): string;
  /**
   * Language models only: how well a claimed output matches what this model gives for the job (its prompt,
   * sampling parameters and seed; a summary: its greedy prompt), in one forward pass. What an auditing rig
   * runs on their jobs: batched decoding may move a float, so even greedy output is scored, not re-run.
   */
  score?(job: ModelInput, claimed: ClaimedOutput): Promise<ScoreResult>;
  /**
   * Causal LMs only, any job kind they run: scores claimed token ids with the job's seeded sampler (a
   * summary is greedy) and decodes them as run() does (causal-lm/score-ids.ts). What an auditing rig runs on
   * a v2 result.
   */
  scoreIds?(job: ModelInput, claimed: ClaimedIds): Promise<IdsScore>;
  dispose(): Promise<void>;
}

export interface LoadModelsOptions {
  device: DeviceChoice;
  /** onnxruntime CPU threads per session (outputs must not depend on it: see the reproducibility tests). */
  threads?: number;
  /** Jobs each language model decodes together in one pass (the rig's --slots); default 8. */
  maxBatch?: number;
  /** Folder of extra model folders; defaults to worker/models. */
  modelsDir?: string;
  /** Where demo-gen lives (built there if missing); defaults to worker/models/demo-gen. */
  demoDir?: string;
  logger?: EngineLogger;
  onProgress?: (modelId: string, fraction: number) => void;
  /** Where per-file hashes are cached (by size and mtime) between starts; none: every file is hashed. */
  digestCacheFile?: string;
  /** Which ONNX file each model folder serves (--dtype); default the best for the device. */
  dtype?: DtypeSettings;
}

/**
 * `--dtype`: `all` is a preference (a folder without that file serves its best one, with a note);
 * a per-model dtype is a requirement (the folder is refused without that file).
 */
export interface DtypeSettings {
  all?: Dtype;
  models?: Record<string, Dtype>;
}

function dtypeFor(
  name: string,
  dir: string,
  settings: DtypeSettings | undefined,
  logger: EngineLogger,
): Dtype | undefined {
  const required = settings?.models?.[name];
  if (required) return required;
  const preferred = settings?.all;
  if (!preferred || existsSync(path.join(dir, 'onnx', DTYPE_FILES[preferred]))) return preferred;
  logger.info(
    { model: name, dtype: preferred },
    `no onnx/${DTYPE_FILES[preferred]} in this folder; serving the best file it has`,
  );
  return undefined;
}

const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The summarizer ranks up to 4,000 sentences in full; ~25 tokens each. */
const SUMMARIZER_CONTEXT = 100_000;

class WrongJobKindError extends Error {
  constructor(modelId: string, kind: string, accepts: string[]) {
    super(`model ${modelId} runs ${accepts.join(' and ')} jobs, not ${kind}`);
    this.name = 'WrongJobKindError';
  }
}

function summaryPrompt(lm: CausalLM, messages: { author?: string; text: string }[]): string {
  const transcript = messages.map((m) => (m.author ? `${m.author}: ${m.text}` : m.text)).join('\n');
  return lm.formatChat([
    {
      role: 'system',
      content:
        'You summarize chat transcripts. Reply with a short summary: decisions, facts, open questions.',
    },
    { role: 'user', content: `Summarize this chat:\n\n${transcript}` },
  ]);
}

/** A plain transcript prompt for models without a chat template (base LMs continue it as the assistant). */
export function plainChatPrompt(messages: ChatTurn[]): string {
  const label = { system: 'System', user: 'User', assistant: 'Assistant' } as const;
  return `${messages.map((m) => `${label[m.role]}: ${m.content}`).join('\n')}\n${label.assistant}:`;
}

/** A loaded causal LM as a Model: generate jobs, and summarize jobs on instruct models (greedy). */
export function lmModel(id: string, lm: CausalLM, fallbackDescription: string, digest: string): Model {
  const accepts: ModelKind[] = lm.isInstruct ? ['generate', 'summarize'] : ['generate'];
  /** The prompt and sampling a job runs with (and is scored with). */
  const lmParams = (rawJob: ModelInput) => {
    const job = modelInputSchema.parse(rawJob);
    if (!accepts.includes(job.kind)) throw new WrongJobKindError(id, job.kind, accepts);
    if (job.kind === 'generate') return job;
    // Greedy: a summary must not depend on a draw.
    return { prompt: summaryPrompt(lm, job.messages), maxTokens: job.maxTokens, temperature: 0 };
  };
  return {
    id,
    kind: 'generate',
    accepts,
    contextLength: lm.contextLength,
    description: lm.description ?? fallbackDescription,
    demoGrade: lm.demoGrade,
    digest,
    provider: lm.provider,
    async run(rawJob, onDelta, signal, onProgress) {
      const r = await lm.generate({ ...lmParams(rawJob), onToken: onDelta, onProgress, signal });
      return {
        text: r.text,
        promptTokens: r.promptTokens,
        completionTokens: r.completionTokens,
        finishReason: r.finishReason,
        tokenIds: r.tokenIds,
      };
    },
    scoreIds: (rawJob, claimed) =>
      lm.scoreIds({ ...lmParams(rawJob), tokenIds: claimed.tokenIds, finishReason: claimed.finishReason }),
    countPromptTokens(rawJob) {
      const job = modelInputSchema.parse(rawJob);
      if (!accepts.includes(job.kind)) throw new WrongJobKindError(id, job.kind, accepts);
      return lm.countTokens(job.kind === 'generate' ? job.prompt : summaryPrompt(lm, job.messages));
    },
    chatPrompt: (messages) => (lm.isInstruct ? lm.formatChat(messages) : plainChatPrompt(messages)),
    score: (rawJob, claimed) =>
      lm.score({ ...lmParams(rawJob), completion: claimed.text, finishReason: claimed.finishReason }),
    dispose: () => lm.dispose(),
  };
}

/**
 * Probes CUDA once (in a child process, so onnxruntime's native error lines stay off the console) and says
 * in one line what the models will run on. `cuda` asked for and not loadable: throws with the reason.
 */
async function sayDevice(device: DeviceChoice, logger: EngineLogger): Promise<void> {
  if (device === 'cpu') return;
  const report = await detectDevice(device);
  if (report.provider === null) throw new CudaUnavailableError(new Error(report.reason));
  if (report.provider === 'cuda') {
    logger.info({ provider: 'cuda' }, 'CUDA found; running on the GPU');
    return;
  }
  logger.info({}, 'no CUDA here; running on CPU');
  logDetail(logger, { reason: report.reason }, 'why CUDA is not used');
}

export async function loadModels(opts: LoadModelsOptions): Promise<Map<string, Model>> {
  const logger = opts.logger ?? defaultEngineLogger;
  const progress = opts.onProgress ?? (() => {});
  const models = new Map<string, Model>();
  const cache = opts.digestCacheFile ? fileDigestCache(opts.digestCacheFile) : undefined;
  const saveCache = () => {
    try {
      cache?.save();
    } catch (err) {
      logger.warn({ reason: err instanceof Error ? err.message : String(err) }, 'digest cache not saved');
    }
  };

  await sayDevice(opts.device, logger);
  progress(SUMMARIZER_ID, 0);
  const summarizer = await createSummarizer({ device: opts.device, threads: opts.threads, logger });
  models.set(SUMMARIZER_ID, {
    id: SUMMARIZER_ID,
    kind: 'summarize',
    accepts: ['summarize'],
    contextLength: SUMMARIZER_CONTEXT,
    description:
      'Extractive chat summarizer: picks the key messages (biased LexRank over TF-IDF, ranked by an ONNX graph, ' +
      'plus cue words for decisions, commitments, times, dates, places, amounts and links), in chat order. ' +
      'Quotes the chat, never invents text.',
    demoGrade: false,
    digest: summarizerDigest(),
    provider: summarizer.provider,
    async run(rawJob, onDelta, _signal, onProgress) {
      const job = modelInputSchema.parse(rawJob);
      if (job.kind !== 'summarize') throw new WrongJobKindError(SUMMARIZER_ID, job.kind, ['summarize']);
      const r = await summarizer.summarizeChat(job.messages, { maxTokens: job.maxTokens });
      // Its one stage with an output: ranking done, the summary's tokens exist (the proxy's first-token
      // deadline, which grows with the chat's size, covers the ranking before it).
      onProgress?.(r.completionTokens);
      // Whole lines as deltas: the summary exists only once ranking is done.
      if (r.text) {
        const lines = r.text.split('\n');
        for (let i = 0; i < lines.length; i++) onDelta(i === 0 ? lines[i] : `\n${lines[i]}`);
      }
      return { text: r.text, promptTokens: r.promptTokens, completionTokens: r.completionTokens };
    },
    countPromptTokens(rawJob) {
      const job = modelInputSchema.parse(rawJob);
      if (job.kind !== 'summarize') throw new WrongJobKindError(SUMMARIZER_ID, job.kind, ['summarize']);
      // The same sum summarize() reports: every sentence's tokens, plus two for "author:" when known.
      return chatPromptTokens(job.messages);
    },
    dispose: () => summarizer.release(),
  });
  progress(SUMMARIZER_ID, 1);

  progress(DEMO_MODEL_ID, 0);
  const demoDir = await ensureDemoModel(opts.demoDir ?? DEFAULT_DEMO_DIR);
  progress(DEMO_MODEL_ID, 0.5);
  const demo = await loadCausalLM(demoDir, {
    device: opts.device,
    threads: opts.threads,
    maxBatch: opts.maxBatch,
    logger,
    label: DEMO_MODEL_ID,
    onProgress: (f) => progress(DEMO_MODEL_ID, 0.5 + f / 2),
  });
  models.set(DEMO_MODEL_ID, lmModel(DEMO_MODEL_ID, demo, 'demo generator', folderDigest(demoDir, cache)));
  saveCache();
  progress(DEMO_MODEL_ID, 1);

  const modelsDir = path.resolve(opts.modelsDir ?? DEFAULT_MODELS_DIR);
  let entries: string[] = [];
  try {
    entries = readdirSync(modelsDir).sort();
  } catch {
    // No models folder: only the built-in models.
  }
  for (const name of entries) {
    const dir = path.join(modelsDir, name);
    if (name === DEMO_MODEL_ID || path.resolve(dir) === path.resolve(demoDir) || !looksLikeModelFolder(dir))
      continue;
    if (!MODEL_ID.test(name) || models.has(name)) {
      logger.warn({ model: name }, 'model folder name is not a valid model id, skipped');
      continue;
    }
    try {
      progress(name, 0);
      const lm = await loadCausalLM(dir, {
        device: opts.device,
        threads: opts.threads,
        maxBatch: opts.maxBatch,
        logger,
        label: name,
        dtype: dtypeFor(name, dir, opts.dtype, logger),
        onProgress: (f) => progress(name, f),
      });
      const others = Object.entries(DTYPE_FILES)
        .filter(([d]) => d !== lm.dtype)
        .map(([, f]) => f);
      const digest = folderDigest(dir, cache, servedFiles(others));
      models.set(name, lmModel(name, lm, `ONNX causal LM from ${name}/ (${lm.dtype})`, digest));
      saveCache();
      progress(name, 1);
    } catch (err) {
      // One broken folder must not keep the rig from serving the others; the reason names the file.
      logger.warn(
        { model: name, reason: err instanceof Error ? err.message : String(err) },
        'model failed to load, skipped',
      );
    }
  }
  for (const name of Object.keys(opts.dtype?.models ?? {})) {
    if (!entries.includes(name))
      logger.warn({ model: name }, `--dtype names ${name}, but ${modelsDir} has no such folder`);
  }
  return models;
}

/** A catalogue entry as the proxy's MODEL_CATALOGUE file lists it (proxy/src/rigs/catalogue.ts). */
export interface CatalogueEntry {
  name: string;
  digest: string;
  kinds: JobKind[];
  contextLength: number;
  demoGrade: boolean;
  /** Same input, same output (greedy or extractive); false for sampled generation. */
  deterministic: boolean;
}

/**
 * The catalogue entries of the built-in models, digests computed as loadModels does, without loading them
 * (the demo model is built first if missing). What `npm start` seeds the local proxy's catalogue with.
 */
export async function builtInCatalogue(
  demoDir: string = DEFAULT_DEMO_DIR,
  cache?: DigestCache,
): Promise<CatalogueEntry[]> {
  const dir = await ensureDemoModel(demoDir);
  const demo = readHfFolder(dir);
  return [
    {
      name: SUMMARIZER_ID,
      digest: summarizerDigest(),
      kinds: ['summarize'],
      contextLength: SUMMARIZER_CONTEXT,
      demoGrade: false,
      deterministic: true,
    },
    {
      name: DEMO_MODEL_ID,
      digest: folderDigest(dir, cache),
      // As the hello lists it: a base LM takes generate jobs, and chat jobs through a plain prompt.
      kinds: demo.isInstruct ? ['generate', 'summarize', 'chat'] : ['generate', 'chat'],
      contextLength: demo.contextLength,
      demoGrade: demo.demoGrade,
      deterministic: false,
    },
  ];
}
