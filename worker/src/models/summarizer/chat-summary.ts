// summarize-extractive, chat edition: whole messages are the units (a long message splits into runs of
// whole sentences, kept in order), ranked by biased LexRank (the ONNX graph) plus cue-word points for what
// a reader acts on (decisions, commitments, open questions, times, dates, places, amounts, links), picked
// greedily with redundancy removed (MMR) until a length budget that grows gently with the chat is spent,
// and returned in chat order, each line tied to its message.
//
// Determinism: every decision compares integers. Graph scores are snapped to the grid of rank-select.ts
// (ties by position, provably tied units share a score); cue points are integers; the MMR similarity is
// computed in plain float64 JS (tfidf.ts `cosine`, the same on every rig) and snapped to a grid too.
import { summarizeMessage } from '@cocoon/shared';
import { z } from 'zod';
import { buildUnits, cut, formatLine, UNIT_MAX_CHARS, type Unit } from './chat-units';
import { type CueKind, factCount, isAck } from './cues';
import type { RankInput } from './rank-math';
import { quantizeScore, shareTiedScores, tieKey } from './rank-select';
import type { RankFn } from './summarize';
import { countTokens, type PreparedSentence, parsePlainTranscript, prepareSentences } from './text-prep';
import { buildTfidf, cosine, type TfidfMatrix } from './tfidf';

/** One message: a job body's (shared's summarizeMessage), so the library and a summarize job take the same. */
export const chatSummaryMessageSchema = summarizeMessage;
export type ChatSummaryMessage = z.infer<typeof chatSummaryMessageSchema>;

/** The library's own input (bench, tests): longer than a job body may carry (JOB_LIMITS.summarizeMessages). */
export const chatSummaryInputSchema = z.union([
  z.string().max(2_000_000),
  z.array(chatSummaryMessageSchema).max(50_000),
]);
export type ChatSummaryInput = z.infer<typeof chatSummaryInputSchema>;

export const chatSummaryOptionsSchema = z.object({
  /** Token budget of the summary text (countTokens); the length budget below applies too. */
  maxTokens: z.number().int().positive().optional(),
  /** Overrides the length budget (characters of unit text); for tests and benchmarks. */
  maxChars: z.number().int().positive().max(100_000).optional(),
  /** Longer inputs keep their most recent units; bounds memory (n² similarity). */
  maxInputUnits: z.number().int().positive().max(20_000).default(4000),
});
export type ChatSummaryOptions = z.input<typeof chatSummaryOptionsSchema>;

export interface SummaryUnit {
  /** The unit's text as written in the chat (whitespace collapsed; cut with " …" past UNIT_MAX_CHARS). */
  text: string;
  author?: string;
  /** Index of the message in the input. */
  messageIndex: number;
  /** The message's id when the input carried one. */
  messageId?: number;
  /** Quantized final score (grid steps, see rank-select.ts): the same on every rig. */
  score: number;
  cues: CueKind[];
}

export interface ChatSummary {
  /** One per line, in chat order; units of one message are merged into one line. */
  units: SummaryUnit[];
  /** One line per unit, "Author: text" when the author is known. */
  text: string;
  promptTokens: number;
  completionTokens: number;
  /** Messages with text that were considered. */
  messageCount: number;
  truncatedInput: boolean;
}

// Points in grid steps: SCORE_GRID_STEPS = 1000 is the graph score of an average unit.
export const CUE_STEPS: Record<CueKind, number> = {
  decision: 1200,
  commitment: 900,
  question: 300,
  time: 700,
  date: 600,
  place: 500,
  amount: 500,
  link: 400,
  restate: 1500,
  chatter: -700,
};
/** Per extra fact past the first in one unit: a message that states the whole plan beats its pieces. */
export const EXTRA_FACT_STEPS = 500;
/** Per reply that only agrees ("ok", "👍", "да"), up to ACK_MAX. */
export const ACK_STEPS = 500;
export const ACK_MAX = 3;
/** An open question (nobody replied to it) gets this on top of `question`. */
export const OPEN_QUESTION_STEPS = 400;
/** Centrality counts up to this many steps (4× the average): chatter that everyone echoes can't dominate. */
export const GRAPH_CAP_STEPS = 4000;
/** MMR: a candidate loses this many steps × its highest similarity with a picked unit. */
export const MMR_STEPS = 3000;
/** Similarity grid (1e-3) and the near-duplicate bar, on that grid. */
export const SIM_GRID = 1000;
export const DUPLICATE_SIM = 700;
/** Numbers, times and ordinals ("14th", "7am", "10:00", "120"): what a restating message repeats. */
const FACT_TOKEN = /\d+(?:[:.]\d+)?(?:st|nd|rd|th|am|pm)?/g;
const FACT_CUES: ReadonlySet<CueKind> = new Set(['time', 'date', 'amount']);
/** How many units back a restating message reaches. */
export const RESTATE_LOOKBACK = 50;
/** A unit with fewer index terms than this is filler unless it has a cue. */
export const MIN_TERMS = 2;

/** Lines a summary of `n` messages may have: grows with log n (15 → 4, 200 → 7, 500 → 8, 3000+ → 10–12). */
export function maxLinesFor(n: number): number {
  if (n <= 1) return 1;
  return Math.max(1, Math.min(12, Math.floor(1.2 + 1.2 * Math.log(n))));
}

/** Characters of unit text a summary of `n` messages may have. */
export function maxCharsFor(n: number): number {
  return maxLinesFor(n) * 170;
}

/** Teleport weights for the graph: informative units and units with cues get more. */
function unitPrior(units: readonly Unit[], points: readonly number[]): Float32Array {
  const raw = units.map((u, i) => {
    if (u.terms.length < MIN_TERMS && points[i] <= 0) return 0.02;
    const informative = Math.min(u.terms.length, 12) / 12;
    return (0.1 + informative) * (1 + Math.max(0, points[i]) / 1000);
  });
  const total = raw.reduce((a, b) => a + b, 0);
  return Float32Array.from(raw, (w) => (total > 0 ? w / total : 1 / raw.length));
}

/**
 * The messages an input stands for. A transcript pasted as one message ("Name: text" lines; the gateway
 * sends a prompt so) is read as the messages it lists.
 */
export function chatMessagesOf(input: ChatSummaryInput): ChatSummaryMessage[] {
  if (typeof input === 'string') return parsePlainTranscript(input);
  if (input.length === 1 && !input[0].author && input[0].id === undefined)
    return parsePlainTranscript(input[0].text);
  return input;
}

function promptTokensOf(sentences: readonly PreparedSentence[]): number {
  return sentences.reduce((a, s) => a + s.tokenCount + (s.author ? 2 : 0), 0);
}

/** What a summary job's input costs in tokens: every sentence's tokens, plus two for "author:" when known. */
export function chatPromptTokens(input: ChatSummaryInput): number {
  return promptTokensOf(prepareSentences(chatMessagesOf(chatSummaryInputSchema.parse(input))));
}

/** The chat summarizer with any ranking function (the ONNX graph, or the float64 reference in tests). */
export async function summarizeChatWith(
  rank: RankFn,
  rawInput: ChatSummaryInput,
  rawOptions: ChatSummaryOptions = {},
): Promise<ChatSummary> {
  const input = chatSummaryInputSchema.parse(rawInput);
  const options = chatSummaryOptionsSchema.parse(rawOptions);
  const messages = chatMessagesOf(input);
  const sentences = prepareSentences(messages);
  const promptTokens = promptTokensOf(sentences);
  const withText = new Set(sentences.map((s) => s.messageIndex));
  const messageCount = withText.size;
  const replies = replyStructure(messages, withText);

  const allUnits = distinctUnits(buildUnits(sentences, messages), replies.ackIndexes);
  const truncatedInput = allUnits.length > options.maxInputUnits;
  const units = truncatedInput ? allUnits.slice(allUnits.length - options.maxInputUnits) : allUnits;
  const n = units.length;
  const empty: ChatSummary = {
    units: [],
    text: '',
    promptTokens,
    completionTokens: 0,
    messageCount,
    truncatedInput,
  };
  if (n === 0) return empty;

  const points = cuePoints(units, messages, replies);
  const substantive = units.map((u, i) => u.terms.length >= MIN_TERMS || points[i] > 0);

  const matrix = buildTfidf(units.map((u) => u.terms));
  const prior = unitPrior(units, points);
  const rankInput: RankInput = { n, v: matrix.v, tfidf: matrix.tfidf, residualSq: matrix.residualSq, prior };
  const scores = shareTiedScores(
    await rank(rankInput),
    units.map((u, i) => tieKey(u.terms, prior[i])),
  );
  const final = units.map((_, i) => Math.min(quantizeScore(scores[i], n), GRAPH_CAP_STEPS) + points[i]);

  // Candidates: substantive units by final score, ties by position.
  let order = units.map((_, i) => i).filter((i) => substantive[i]);
  if (order.length === 0) order = units.map((_, i) => i);
  order.sort((a, b) => final[b] - final[a] || a - b);

  const picked = pickLines(units, order, final, matrix, {
    maxLines: maxLinesFor(messageCount),
    maxChars: options.maxChars ?? maxCharsFor(messageCount),
    maxTokens: options.maxTokens,
  });

  // Budget smaller than any unit: the best unit, cut to fit, rather than nothing.
  if (picked.length === 0 && options.maxTokens !== undefined) {
    const i = order[0];
    const text = cutToTokens(units[i], options.maxTokens);
    if (text === undefined) return empty;
    const one = summaryUnit(units[i], text, messages, final[i]);
    const line = formatLine(one.author, text);
    return { ...empty, units: [one], text: line, completionTokens: countTokens(line) };
  }

  // Chat order; units of one message become one line.
  picked.sort((a, b) => a - b);
  const out: SummaryUnit[] = [];
  for (const i of picked) {
    const u = units[i];
    const text = cut(u.text, UNIT_MAX_CHARS);
    const last = out[out.length - 1];
    if (last && last.messageIndex === u.messageIndex) {
      last.text = `${last.text} … ${text}`;
      last.score = Math.max(last.score, final[i]);
      last.cues = [...new Set([...last.cues, ...u.cues])];
      continue;
    }
    out.push(summaryUnit(u, text, messages, final[i]));
  }
  const text = out.map((u) => formatLine(u.author, u.text)).join('\n');
  return {
    units: out,
    text,
    promptTokens,
    completionTokens: countTokens(text),
    messageCount,
    truncatedInput,
  };
}

interface Replies {
  /** Per message index: how many replies only agree with it. */
  acks: Map<number, number>;
  /** Messages that only agree ("ok", "👍"). */
  ackIndexes: Set<number>;
  /** Messages someone replied to. */
  repliedTo: Set<number>;
}

/** Replies that only agree: they weigh for what they answer and are not units themselves. */
function replyStructure(messages: readonly ChatSummaryMessage[], withText: ReadonlySet<number>): Replies {
  const idToIndex = new Map<number, number>();
  messages.forEach((m, i) => {
    if (m.id !== undefined && !idToIndex.has(m.id)) idToIndex.set(m.id, i);
  });
  const acks = new Map<number, number>();
  const ackIndexes = new Set<number>();
  const repliedTo = new Set<number>();
  let previousReal = -1;
  messages.forEach((m, i) => {
    if (!withText.has(i) && !isAck(m.text)) return;
    const target = m.replyTo !== undefined ? idToIndex.get(m.replyTo) : undefined;
    if (target !== undefined && target < i) repliedTo.add(target);
    if (isAck(m.text)) {
      ackIndexes.add(i);
      const t = target ?? previousReal;
      if (t >= 0 && messages[t].author !== m.author) acks.set(t, (acks.get(t) ?? 0) + 1);
      return;
    }
    previousReal = i;
  });
  return { acks, ackIndexes, repliedTo };
}

/**
 * The units that are not agreements. A text said again ("anyone for lunch?", a bot's notice) is one unit, at
 * its first occurrence: repeats would otherwise vote for each other in the graph.
 */
function distinctUnits(units: Unit[], ackIndexes: ReadonlySet<number>): Unit[] {
  const seen = new Set<string>();
  return units.filter((u) => {
    if (ackIndexes.has(u.messageIndex)) return false;
    const key = u.text.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Each unit's cue points (integers): its cues, extra facts, an open question, and agreeing replies. */
function cuePoints(
  units: readonly Unit[],
  messages: readonly ChatSummaryMessage[],
  replies: Replies,
): number[] {
  // A message that restates the plan ("so: 14th, 7am, station") makes the earlier messages it repeats
  // facts of (numbers, times, dates) old news: they keep their words' points, not their facts'.
  const factTokens = units.map((u) => new Set((u.text.toLowerCase().match(FACT_TOKEN) ?? []).slice(0, 64)));
  const restated = new Set<number>();
  units.forEach((r, j) => {
    if (!r.cues.has('restate') || factCount(r.cues) < 2) return;
    for (let i = Math.max(0, j - RESTATE_LOOKBACK); i < j; i++) {
      for (const t of factTokens[i])
        if (factTokens[j].has(t)) {
          restated.add(i);
          break;
        }
    }
  });
  // Open questions: only when the chat says who replies to whom, a question nobody answered.
  const hasReplies = messages.some((m) => m.replyTo !== undefined);
  return units.map((u, i) => {
    let p = 0;
    for (const k of u.cues) if (!(restated.has(i) && FACT_CUES.has(k))) p += CUE_STEPS[k];
    if (!restated.has(i)) p += Math.max(0, factCount(u.cues) - 1) * EXTRA_FACT_STEPS;
    if (hasReplies && u.cues.has('question') && !replies.repliedTo.has(u.messageIndex) && u.terms.length >= 3)
      p += OPEN_QUESTION_STEPS;
    p += Math.min(ACK_MAX, replies.acks.get(u.messageIndex) ?? 0) * ACK_STEPS;
    return p;
  });
}

/** MMR: repeatedly the candidate with the best score minus its redundancy with what is picked. */
function pickLines(
  units: readonly Unit[],
  order: readonly number[],
  final: readonly number[],
  matrix: TfidfMatrix,
  limits: { maxLines: number; maxChars: number; maxTokens?: number },
): number[] {
  const { maxLines, maxChars, maxTokens } = limits;
  const sim = (i: number, j: number) => Math.round(cosine(matrix, i, j) * SIM_GRID);
  const picked: number[] = [];
  const maxSim = new Map<number, number>(order.map((i) => [i, 0]));
  let chars = 0;
  let tokens = 0;
  const remaining = new Set(order);
  // Bounds the loop on huge chats: only the best candidates are ever considered.
  const pool = order.slice(0, Math.max(64, maxLines * 16));
  const lineTokens = (i: number) =>
    countTokens(formatLine(units[i].author, cut(units[i].text, UNIT_MAX_CHARS)));
  while (picked.length < maxLines) {
    let best = -1;
    let bestValue = 0;
    for (const i of pool) {
      if (!remaining.has(i)) continue;
      const s = maxSim.get(i) ?? 0;
      if (s >= DUPLICATE_SIM) continue;
      const value = final[i] - Math.floor((MMR_STEPS * s) / SIM_GRID);
      if (best < 0 || value > bestValue || (value === bestValue && i < best)) {
        best = i;
        bestValue = value;
      }
    }
    if (best < 0) break;
    remaining.delete(best);
    const text = cut(units[best].text, UNIT_MAX_CHARS);
    const cost = lineTokens(best);
    if (chars + text.length > maxChars && picked.length > 0) continue;
    if (maxTokens !== undefined && tokens + cost > maxTokens) continue;
    picked.push(best);
    chars += text.length;
    tokens += cost;
    for (const i of pool) {
      if (remaining.has(i)) maxSim.set(i, Math.max(maxSim.get(i) ?? 0, sim(i, best)));
    }
  }
  return picked;
}

/** The unit's first words with " …", as many as fit `maxTokens` as a line; undefined when not one does. */
function cutToTokens(u: Unit, maxTokens: number): string | undefined {
  const words = u.text.split(' ');
  let lo = 0;
  let hi = Math.min(words.length, 400);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (countTokens(formatLine(u.author, `${words.slice(0, mid).join(' ')} …`)) <= maxTokens) lo = mid;
    else hi = mid - 1;
  }
  return lo === 0 ? undefined : `${words.slice(0, lo).join(' ')} …`;
}

function summaryUnit(
  u: Unit,
  text: string,
  messages: readonly ChatSummaryMessage[],
  score: number,
): SummaryUnit {
  return {
    text,
    author: u.author,
    messageIndex: u.messageIndex,
    messageId: messages[u.messageIndex].id,
    score,
    cues: [...u.cues],
  };
}
