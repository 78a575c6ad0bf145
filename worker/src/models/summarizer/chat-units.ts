// The units a chat is cut into: a message, or a run of whole sentences of a long one, with its index terms
// and cues; and how a unit is written as a summary line.
import { type CueKind, cuesOf } from './cues';
import type { PreparedSentence } from './text-prep';

/** A message longer than this (tokens) is split into runs of whole sentences. */
export const LONG_MESSAGE_TOKENS = 60;
/** Target size of a run of sentences in a long message. */
export const RUN_TOKENS = 40;
/** A unit's text is cut (at a word, with " …") past this many characters. */
export const UNIT_MAX_CHARS = 280;

export interface Unit {
  messageIndex: number;
  sentences: PreparedSentence[];
  text: string;
  terms: string[];
  tokens: number;
  cues: Set<CueKind>;
  author?: string;
}

export function cut(text: string, max: number): string {
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

export function buildUnits(sentences: PreparedSentence[], messages: readonly { text: string }[]): Unit[] {
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

export function formatLine(author: string | undefined, text: string): string {
  return author ? `${author}: ${text}` : text;
}
