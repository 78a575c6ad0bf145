// summarize-extractive: picks the most central, most informative sentences of a chat transcript
// and returns them in their original order. Graph ranking runs in ONNX (rank-graph.ts); this
// module prepares its inputs and turns scores into a summary within the caller's budget; the
// choice itself (rank-select.ts) compares scores on a grid, so every rig picks the same sentences.
import { z } from 'zod';
import type { EngineLogger } from '../../engine/logger';
import type { DeviceChoice, Provider, SessionFactory } from '../../engine/ort-session';
import {
  type ChatSummary,
  type ChatSummaryInput,
  type ChatSummaryOptions,
  summarizeChatWith,
} from './chat-summary';
import type { RankInput } from './rank-math';
import { createOnnxRanker } from './rank-onnx';
import {
  dequantizeScore,
  NEAR_DUPLICATE_COSINE,
  selectSentences,
  shareTiedScores,
  tieKey,
} from './rank-select';
import {
  type ChatMessage,
  countTokens,
  type PreparedSentence,
  parsePlainTranscript,
  prepareSentences,
} from './text-prep';
import { buildTfidf, cosine } from './tfidf';

export const chatMessageSchema = z.object({ author: z.string().max(200).optional(), text: z.string() });
export const summarizeInputSchema = z.union([z.string(), z.array(chatMessageSchema)]);
export type SummarizeInput = z.infer<typeof summarizeInputSchema>;

export const summarizeOptionsSchema = z.object({
  /** Share of sentences to keep (before the caps below). */
  ratio: z.number().positive().max(1).default(0.2),
  /** Most sentences in the summary. */
  maxSentences: z.number().int().positive().max(100).default(5),
  /** Token budget of the summary text (same unit as countTokens). */
  maxTokens: z.number().int().positive().optional(),
  /** Longer inputs keep their most recent sentences; bounds memory (n² similarity). */
  maxInputSentences: z.number().int().positive().max(20_000).default(4000),
});
export type SummarizeOptions = z.input<typeof summarizeOptionsSchema>;

export interface SummarySentence {
  text: string;
  author?: string;
  messageIndex: number;
  /** Position among all sentences of the input. */
  sentenceIndex: number;
  score: number;
}

export interface SummaryResult {
  sentences: SummarySentence[];
  /** One line per sentence, "Author: sentence" when the author is known. */
  text: string;
  promptTokens: number;
  completionTokens: number;
  /** True when the input was longer than maxInputSentences and only the latest part was ranked. */
  truncatedInput: boolean;
}

export interface Summarizer {
  provider: Provider;
  /** The sentence-level summarizer of SUMMARIZER_CODE_VERSION 2, kept for comparison (bench) and its tests. */
  summarize(input: SummarizeInput, options?: SummarizeOptions): Promise<SummaryResult>;
  /** What the served model runs: message units, cue points, a length budget, MMR (chat-summary.ts). */
  summarizeChat(input: ChatSummaryInput, options?: ChatSummaryOptions): Promise<ChatSummary>;
  release(): Promise<void>;
}

// Sentences that state outcomes, plans and facts are what a reader wants from a chat.
const DECISION_CUE =
  /\b(decided|decision|agree[sd]?|agreed|let'?s|we'll|we will|we're going to|plan(?:ned)? is|final(?:ly)?|conclusion|deadline|due|confirmed?|approved?|ship(?:ping)?|launch(?:ing)?|release|schedul(?:e|ed)|moved? to|settled|go with|going with|chose|choose|budget|summary|action items?)\b/i;
const FACT_CUE =
  /(\d|\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|today|tonight|next week|january|february|march|april|may|june|july|august|september|october|november|december)\b)/i;

/** Teleport weights: informative statements get more, filler and questions less. */
export function sentencePrior(sentences: readonly PreparedSentence[]): Float32Array {
  const raw = sentences.map((s) => {
    const informative = Math.min(s.terms.length, 12) / 12;
    if (s.terms.length < 2) return 0.02;
    let w = 0.1 + informative;
    if (DECISION_CUE.test(s.text)) w *= 2;
    if (FACT_CUE.test(s.text)) w *= 1.5;
    if (s.isQuestion) w *= 0.4;
    return w;
  });
  const total = raw.reduce((a, b) => a + b, 0);
  return Float32Array.from(raw, (w) => (total > 0 ? w / total : 1 / raw.length));
}

function formatLine(s: { author?: string; text: string }): string {
  return s.author ? `${s.author}: ${s.text}` : s.text;
}

function truncateToTokens(text: string, maxTokens: number, count: (t: string) => number): string {
  const words = text.split(' ');
  let lo = 0;
  let hi = words.length;
  // Binary search on word count: bounded by log2(words) token counts.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (count(`${words.slice(0, mid).join(' ')} …`) <= maxTokens) lo = mid;
    else hi = mid - 1;
  }
  return lo === 0 ? '' : `${words.slice(0, lo).join(' ')} …`;
}

/** Ranks sentences: scores per sentence (sum ≈ 1), in sentence order. */
export type RankFn = (input: RankInput) => Promise<ArrayLike<number>>;

export interface CreateSummarizerOptions {
  device: DeviceChoice;
  /**
   * onnxruntime CPU threads for the ranking session (intraOpNumThreads; interOpNumThreads is then 1).
   * Default: onnxruntime's own (one per physical core). The summary is the same for every value.
   */
  threads?: number;
  factory?: SessionFactory;
  logger?: EngineLogger;
}

export async function createSummarizer(opts: CreateSummarizerOptions): Promise<Summarizer> {
  const ranker = await createOnnxRanker(opts);
  return {
    provider: ranker.provider,
    release: () => ranker.release(),
    summarize: (input, options) => summarizeWith(async (r) => (await ranker.rank(r)).scores, input, options),
    summarizeChat: (input, options) =>
      summarizeChatWith(async (r) => (await ranker.rank(r)).scores, input, options),
  };
}

/** The summarizer with any ranking function (tests run it on the float64 reference too). */
export async function summarizeWith(
  rank: RankFn,
  rawInput: SummarizeInput,
  rawOptions: SummarizeOptions = {},
): Promise<SummaryResult> {
  const input = summarizeInputSchema.parse(rawInput);
  const options = summarizeOptionsSchema.parse(rawOptions);
  const messages: ChatMessage[] = typeof input === 'string' ? parsePlainTranscript(input) : input;
  const chatLike = messages.some((m) => m.author);

  let sentences = prepareSentences(messages);
  const promptTokens = sentences.reduce((a, s) => a + s.tokenCount + (s.author ? 2 : 0), 0);
  const truncatedInput = sentences.length > options.maxInputSentences;
  const offset = truncatedInput ? sentences.length - options.maxInputSentences : 0;
  if (truncatedInput) sentences = sentences.slice(offset);
  const n = sentences.length;
  if (n === 0) return { sentences: [], text: '', promptTokens, completionTokens: 0, truncatedInput };

  const matrix = buildTfidf(sentences.map((s) => s.terms));
  const prior = sentencePrior(sentences);
  const rankInput: RankInput = { n, v: matrix.v, tfidf: matrix.tfidf, residualSq: matrix.residualSq, prior };
  const scores = shareTiedScores(
    await rank(rankInput),
    sentences.map((s, i) => tieKey(s.terms, prior[i])),
  );

  const k = Math.max(1, Math.min(options.maxSentences, Math.round(n * options.ratio)));
  const { picked, candidates, quantized } = selectSentences({
    scores,
    substantive: sentences.map((s) => s.terms.length >= 2),
    k,
    maxTokens: options.maxTokens,
    cost: (i) => countTokens(formatLine(sentences[i])),
    isNearDuplicate: (i, j) => cosine(matrix, i, j) > NEAR_DUPLICATE_COSINE,
  });
  // Reported scores are the quantized ones: the same on every rig, like the choice they explain.
  const scoreOf = (i: number) => dequantizeScore(quantized[i], n);

  let chosen: SummarySentence[] = picked.map((i) => ({
    text: sentences[i].text,
    author: sentences[i].author,
    messageIndex: sentences[i].messageIndex,
    sentenceIndex: i + offset,
    score: scoreOf(i),
  }));
  // Budget smaller than any sentence: cut the best one rather than return nothing.
  if (chosen.length === 0 && options.maxTokens !== undefined) {
    const best = candidates[0];
    const prefix = sentences[best].author ? `${sentences[best].author}: ` : '';
    const text = truncateToTokens(sentences[best].text, options.maxTokens - countTokens(prefix), (t) =>
      countTokens(prefix + t),
    );
    chosen = text
      ? [
          {
            text,
            author: sentences[best].author,
            messageIndex: sentences[best].messageIndex,
            sentenceIndex: best + offset,
            score: scoreOf(best),
          },
        ]
      : [];
  }
  const text = chosen.map(formatLine).join(chatLike ? '\n' : ' ');
  return { sentences: chosen, text, promptTokens, completionTokens: countTokens(text), truncatedInput };
}
