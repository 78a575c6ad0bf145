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
import { type CueKind, cuesOf, factCount, isAck } from './cues';
import type { RankInput } from './rank-math';
import { quantizeScore, shareTiedScores, tieKey } from './rank-select';
import type { RankFn } from './summarize';
import { countTokens, type PreparedSentence, parsePlainTranscript, prepareSentences } from './text-prep';
import { buildTfidf, cosine } from './tfidf';

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

/** A message longer than this (tokens) is split into runs of whole sentences. */
export const LONG_MESSAGE_TOKENS = 60;
/** Target size of a run of sentences in a long message. */
export const RUN_TOKENS = 40;
/** A unit's text is cut (at a word, with " …") past this many characters. */
export const UNIT_MAX_CHARS = 280;

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

interface Unit {
  messageIndex: number;
  sentences: PreparedSentence[];
  text: string;
  terms: string[];
  tokens: number;
  cues: Set<CueKind>;
  author?: string;
}

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = text.lastIndexOf(' ', max - 2);
  if (end < max / 2) end = max - 2;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end).trimEnd()} …`;
}

/**
 * A run of a message's sentences as the message has it: wink splits "Math.max" into two sentences, and
 * joining them with a space would quote text nobody wrote. Found in order in the whitespace-collapsed
 * message; joined only if the text can't be found (it always can: sentences are slices of its lines).
 */
function runText(message: string, run: readonly PreparedSentence[], cursor: { at: number }): string {
  const first = message.indexOf(run[0].text, cursor.at);
  let end = first;
  if (first >= 0) {
    for (const s of run) {
      const at = message.indexOf(s.text, end);
      if (at < 0) {
        end = -1;
        break;
      }
      end = at + s.text.length;
    }
  }
  if (first < 0 || end < 0) return run.map((s) => s.text).join(' ');
  cursor.at = end;
  return message.slice(first, end);
}

function buildUnits(sentences: PreparedSentence[], messages: readonly { text: string }[]): Unit[] {
  const byMessage = new Map<number, PreparedSentence[]>();
  for (const s of sentences) {
    const list = byMessage.get(s.messageIndex);
    if (list) list.push(s);
    else byMessage.set(s.messageIndex, [s]);
  }
  const units: Unit[] = [];
  let collapsed = '';
  let cursor = { at: 0 };
  const push = (messageIndex: number, run: PreparedSentence[]) => {
    const text = runText(collapsed, run, cursor);
    units.push({
      messageIndex,
      sentences: run,
      text,
      terms: run.flatMap((s) => s.terms),
      tokens: run.reduce((a, s) => a + s.tokenCount, 0),
      cues: cuesOf(text.slice(0, 2000)),
      author: run[0].author,
    });
  };
  for (const [messageIndex, list] of byMessage) {
    collapsed = messages[messageIndex].text.replace(/\s+/g, ' ').trim();
    cursor = { at: 0 };
    const total = list.reduce((a, s) => a + s.tokenCount, 0);
    if (total <= LONG_MESSAGE_TOKENS) {
      push(messageIndex, list);
      continue;
    }
    // Long message: runs of whole sentences of about RUN_TOKENS each, in order.
    let run: PreparedSentence[] = [];
    let size = 0;
    for (const s of list) {
      if (run.length > 0 && size + s.tokenCount > RUN_TOKENS) {
        push(messageIndex, run);
        run = [];
        size = 0;
      }
      run.push(s);
      size += s.tokenCount;
    }
    if (run.length > 0) push(messageIndex, run);
  }
  return units;
}

function formatLine(author: string | undefined, text: string): string {
  return author ? `${author}: ${text}` : text;
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

  // Replies that only agree: they weigh for what they answer and are not units themselves.
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

  // A text said again ("anyone for lunch?", a bot's notice) is one unit, at its first occurrence: repeats
  // would otherwise vote for each other in the graph.
  const seen = new Set<string>();
  let units = buildUnits(sentences, messages).filter((u) => {
    if (ackIndexes.has(u.messageIndex)) return false;
    const key = u.text.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const allUnits = units.length;
  const truncatedInput = allUnits > options.maxInputUnits;
  if (truncatedInput) units = units.slice(allUnits - options.maxInputUnits);
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

  // Cue points, integers.
  const points = units.map((u, i) => {
    let p = 0;
    for (const k of u.cues) if (!(restated.has(i) && FACT_CUES.has(k))) p += CUE_STEPS[k];
    if (!restated.has(i)) p += Math.max(0, factCount(u.cues) - 1) * EXTRA_FACT_STEPS;
    if (hasReplies && u.cues.has('question') && !repliedTo.has(u.messageIndex) && u.terms.length >= 3)
      p += OPEN_QUESTION_STEPS;
    p += Math.min(ACK_MAX, acks.get(u.messageIndex) ?? 0) * ACK_STEPS;
    return p;
  });
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

  const maxLines = maxLinesFor(messageCount);
  const maxChars = options.maxChars ?? maxCharsFor(messageCount);
  const sim = (i: number, j: number) => Math.round(cosine(matrix, i, j) * SIM_GRID);

  // MMR: repeatedly the candidate with the best score minus its redundancy with what is picked.
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
    if (options.maxTokens !== undefined && tokens + cost > options.maxTokens) continue;
    picked.push(best);
    chars += text.length;
    tokens += cost;
    for (const i of pool) {
      if (remaining.has(i)) maxSim.set(i, Math.max(maxSim.get(i) ?? 0, sim(i, best)));
    }
  }

  // Budget smaller than any unit: the best unit, cut to fit, rather than nothing.
  if (picked.length === 0 && options.maxTokens !== undefined) {
    const i = order[0];
    const u = units[i];
    const words = u.text.split(' ');
    let lo = 0;
    let hi = Math.min(words.length, 400);
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (countTokens(formatLine(u.author, `${words.slice(0, mid).join(' ')} …`)) <= options.maxTokens)
        lo = mid;
      else hi = mid - 1;
    }
    if (lo === 0) return empty;
    const text = `${words.slice(0, lo).join(' ')} …`;
    const one: SummaryUnit = {
      text,
      author: u.author,
      messageIndex: u.messageIndex,
      messageId: messages[u.messageIndex].id,
      score: final[i],
      cues: [...u.cues],
    };
    const line = formatLine(u.author, text);
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
    out.push({
      text,
      author: u.author,
      messageIndex: u.messageIndex,
      messageId: messages[u.messageIndex].id,
      score: final[i],
      cues: [...u.cues],
    });
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
