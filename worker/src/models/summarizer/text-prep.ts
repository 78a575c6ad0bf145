// Chat transcript → sentences with index terms, via wink-nlp. Built for messy chat text: speaker
// names, one-word replies, links, emoji and non-English scripts are all handled without throwing.

import model from 'wink-eng-lite-web-model';
import winkNLP, { type ItemSentence } from 'wink-nlp';

export interface ChatMessage {
  author?: string;
  text: string;
}

export interface PreparedSentence {
  /** Sentence text as written (whitespace collapsed). */
  text: string;
  author?: string;
  messageIndex: number;
  /** Index terms: stems of English content words, lower-cased foreign words, CJK character bigrams, numbers. */
  terms: string[];
  /** Non-whitespace tokens, the unit used for token counts. */
  tokenCount: number;
  isQuestion: boolean;
}

const nlp = winkNLP(model, ['sbd', 'pos']);
const its = nlp.its;

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
// Token types that carry facts worth matching across sentences.
const LITERAL_TYPES = new Set(['number', 'time', 'date', 'ordinal', 'currency', 'hashtag', 'unk']);
const SKIP_TYPES = new Set([
  'punctuation',
  'url',
  'email',
  'emoji',
  'emoticon',
  'mention',
  'symbol',
  'tabCRLF',
]);
/** "Name: message" lines in plain-text transcripts. */
const SPEAKER_LINE = /^\s*([\p{L}\p{N}_ .'@-]{1,40}?)\s*:\s+(\S.*)$/u;

/** Splits plain text into messages: "Name: text" lines become authored messages. */
export function parsePlainTranscript(text: string): ChatMessage[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim().length > 0);
  const speakerLines = lines.filter((l) => SPEAKER_LINE.test(l) && !/^\s*https?$/i.test(l.split(':')[0]));
  // Only treat it as a transcript when most lines look like one; prose with a colon stays prose.
  if (lines.length >= 2 && speakerLines.length >= lines.length * 0.6) {
    return lines.map((l) => {
      const m = SPEAKER_LINE.exec(l);
      return m && !/^\s*https?$/i.test(m[1]) ? { author: m[1].trim(), text: m[2] } : { text: l };
    });
  }
  return [{ text }];
}

function cjkBigrams(run: string): string[] {
  const chars = [...run];
  if (chars.length === 1) return chars;
  const out: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i] + chars[i + 1]);
  return out;
}

function termsOf(types: string[], stems: string[], normals: string[], stops: boolean[]): string[] {
  const terms: string[] = [];
  for (let i = 0; i < types.length; i++) {
    const type = types[i];
    if (SKIP_TYPES.has(type)) continue;
    const normal = normals[i] ?? '';
    if (CJK.test(normal)) {
      for (const run of normal.match(CJK_RUN) ?? []) terms.push(...cjkBigrams(run));
      continue;
    }
    if (type === 'word') {
      if (stops[i]) continue;
      const stem = stems[i] ?? normal;
      if (stem.length < 2 || !LETTER_OR_DIGIT.test(stem) || stem.startsWith("'")) continue;
      terms.push(stem);
    } else if (LITERAL_TYPES.has(type)) {
      if (normal.length < 2 || !LETTER_OR_DIGIT.test(normal)) continue;
      terms.push(normal.toLowerCase());
    }
  }
  return terms;
}

/** CJK text has no spaces, so each CJK character counts as a token (close to what LM tokenizers do). */
function tokenUnits(normals: string[]): number {
  let n = 0;
  for (const t of normals) {
    const cjk = t.match(CJK_RUN);
    n += cjk ? cjk.reduce((a, run) => a + [...run].length, 0) + (t.replace(CJK_RUN, '').trim() ? 1 : 0) : 1;
  }
  return n;
}

/**
 * Chat text lines; CJK full stops get a break after them, since wink doesn't split CJK text. A run of
 * more than MAX_RUN non-space characters (a pasted blob, "aaaa…") is broken into lines of MAX_RUN: wink's
 * tokenizer takes time quadratic in a token's length (16 s for one 50,000-character word).
 */
const MAX_RUN = 200;
const LONG_RUN = new RegExp(`\\S{${MAX_RUN}}(?=\\S)`, 'g');
function linesOf(text: string): string[] {
  return text
    .replace(LONG_RUN, '$&\n')
    .replace(/([。！？])/g, '$1\n')
    .split(/\r?\n+/)
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .filter((l) => l.length > 0);
}

export function prepareSentences(messages: readonly ChatMessage[]): PreparedSentence[] {
  const out: PreparedSentence[] = [];
  messages.forEach((message, messageIndex) => {
    const author = message.author?.trim() || undefined;
    for (const line of linesOf(message.text ?? '')) {
      const doc = nlp.readDoc(line);
      doc.sentences().each((s: ItemSentence) => {
        const text = s.out().trim();
        if (!text) return;
        const tokens = s.tokens();
        const types = tokens.out(its.type) as string[];
        const normals = tokens.out(its.normal) as string[];
        const terms = termsOf(
          types,
          tokens.out(its.stem as never) as unknown as string[],
          normals,
          tokens.out(its.stopWordFlag) as unknown as boolean[],
        );
        out.push({
          text,
          author,
          messageIndex,
          terms,
          tokenCount: tokenUnits(normals),
          isQuestion: /[?？]\s*$/.test(text),
        });
      });
    }
  });
  return out;
}

/** Token count used for billing the summarizer: wink-nlp tokens (words, numbers, punctuation, emoji). */
export function countTokens(text: string): number {
  let n = 0;
  for (const line of linesOf(text)) n += tokenUnits(nlp.readDoc(line).tokens().out(its.normal) as string[]);
  return n;
}
