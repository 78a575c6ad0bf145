// The worker as a library: startWorker() loads keys and models and keeps a rig connected to a proxy.
// The CLI (cli.ts), the `npm start` launcher and the e2e tests all start rigs through it.
export { parseWorkerConfig, USAGE, type WorkerConfig, workerChannelUrl } from './config';
export {
  backoffDelay,
  type StopOptions,
  servedModels,
  type WorkerLogger,
  type WorkerStats,
} from './connection';
// For the benchmarks (@cocoon/bench) and the integration tests: the engine and models underneath loadModels.
export { type DeviceReport, detectDevice } from './engine/detect-device';
export { type EngineLogger, silentEngineLogger } from './engine/logger';
export { type JobOutcome, runAssignedJob } from './job-runner';
export { loadOrCreateKeys, type RigKeys } from './keys';
export { type ProbeRequest, type ProbeResponse, runProbe } from './models/causal-lm/probe-process';
export { type CausalLM, loadCausalLM } from './models/causal-lm/runner';
// Random-weight Llama / Qwen2 decoders in the Optimum layout, for tests and the engine bench.
export {
  ensureTestDecoder,
  QWEN2_5_0_5B_SHAPE,
  type TestDecoderInfo,
  type TestDecoderSpec,
  TINY_LLAMA,
  TINY_QWEN2,
  testDecoderCachePath,
  writeTestDecoder,
} from './models/causal-lm/test-decoder/index';
export { ensureDemoModel } from './models/demo-gen/index';
export { readBrownParagraphs } from './models/demo-gen/train';
export { fileDigestCache, folderDigest, summarizerDigest } from './models/digest';
export {
  builtInCatalogue,
  type CatalogueEntry,
  DEMO_MODEL_ID,
  loadModels,
  type Model,
  SUMMARIZER_ID,
} from './models/index';
export {
  type ChatSummary,
  type ChatSummaryMessage,
  maxLinesFor,
  type SummaryUnit,
  summarizeChatWith,
} from './models/summarizer/chat-summary';
export { createSummarizer, type Summarizer } from './models/summarizer/summarize';
export { type ChatMessage, countTokens, prepareSentences } from './models/summarizer/text-prep';

export {
  actualDevice,
  type StartWorkerOptions,
  startWorker,
  WORKER_VERSION,
  type WorkerHandle,
} from './start';
