export { buildRankGraph, rankGraphBytes } from './rank-graph';
export { DAMPING, ITERATIONS, type RankInput } from './rank-math';
export { createOnnxRanker, type OnnxRanker } from './rank-onnx';
export { rankReference } from './rank-reference';
export {
  createSummarizer,
  type SummarizeInput,
  type SummarizeOptions,
  type Summarizer,
  type SummaryResult,
  type SummarySentence,
  sentencePrior,
  summarizeInputSchema,
  summarizeOptionsSchema,
} from './summarize';
export { type ChatMessage, countTokens, parsePlainTranscript, prepareSentences } from './text-prep';
export { buildTfidf } from './tfidf';
