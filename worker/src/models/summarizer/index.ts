export {
  type ChatSummary,
  type ChatSummaryInput,
  type ChatSummaryMessage,
  type ChatSummaryOptions,
  chatSummaryInputSchema,
  chatSummaryMessageSchema,
  maxCharsFor,
  maxLinesFor,
  type SummaryUnit,
  summarizeChatWith,
} from './chat-summary';
export { type CueKind, cuesOf, isAck } from './cues';
export { buildRankGraph, rankGraphBytes } from './rank-graph';
export { DAMPING, ITERATIONS, type RankInput } from './rank-math';
export { createOnnxRanker, type OnnxRanker, type OnnxRankerOptions, rankSessionOptions } from './rank-onnx';
export { rankReference } from './rank-reference';
export {
  dequantizeScore,
  FLOOR_STEPS,
  NEAR_DUPLICATE_COSINE,
  quantizeScore,
  rankOrder,
  SCORE_GRID_STEPS,
  type Selection,
  type SelectionInput,
  selectSentences,
  shareTiedScores,
  tieKey,
} from './rank-select';
export {
  type CreateSummarizerOptions,
  createSummarizer,
  type RankFn,
  type SummarizeInput,
  type SummarizeOptions,
  type Summarizer,
  type SummaryResult,
  type SummarySentence,
  sentencePrior,
  summarizeInputSchema,
  summarizeOptionsSchema,
  summarizeWith,
} from './summarize';
export { type ChatMessage, countTokens, parsePlainTranscript, prepareSentences } from './text-prep';
export { buildTfidf } from './tfidf';
