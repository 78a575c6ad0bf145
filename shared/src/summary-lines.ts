// Ties the lines of an extractive summary back to the messages they quote. The summarizer answers with
// "Author: text" lines in chat order, each a piece of one message (cut with " …" when long, pieces of one
// message joined by " … "); the bot and the gateway, which hold the messages they sent, find each line's
// message here, so a summary can link every line to its source without a second channel from the rig.

export interface SummarySource {
  author?: string;
  text: string;
  id?: number;
}

export interface SummaryLine {
  author?: string;
  /** The quoted text, as the summary has it. */
  text: string;
  /** Index into the messages; undefined when no message holds the line (never for an extractive summary). */
  messageIndex?: number;
  /** The message's id, when it carried one. */
  messageId?: number;
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The pieces a line quotes: its text split at the summarizer's " … " joins and cut marks. */
function pieces(text: string): string[] {
  return text
    .split(/\s…(?:\s|$)/)
    .map((p) => squash(p))
    .filter((p) => p.length > 0);
}

function holds(message: SummarySource, author: string | undefined, text: string): boolean {
  const a = squash(message.author ?? '');
  if (author !== undefined && a !== author) return false;
  const body = squash(message.text);
  return pieces(text).every((p) => body.includes(p));
}

/**
 * Splits a summary into lines and finds each line's message: the first message at or after the previous
 * line's (lines are in chat order) whose author matches and whose text holds every quoted piece; failing
 * that, any message that does. Bounded: lines × messages substring checks, on inputs the caller bounds.
 */
export function attributeSummaryLines(summary: string, messages: readonly SummarySource[]): SummaryLine[] {
  const out: SummaryLine[] = [];
  let from = 0;
  for (const raw of summary.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    // "Author: text" when a message with that author holds the text; else the whole line is text.
    const colon = line.indexOf(': ');
    const candidates: Array<{ author?: string; text: string }> = [];
    if (colon > 0) candidates.push({ author: line.slice(0, colon), text: line.slice(colon + 2) });
    candidates.push({ text: line });
    let found: SummaryLine | undefined;
    for (const c of candidates) {
      const scan = (start: number, end: number) => {
        for (let i = start; i < end; i++) {
          const m = messages[i];
          if (holds(m, c.author, c.text)) return i;
        }
        return -1;
      };
      let i = scan(from, messages.length);
      if (i < 0) i = scan(0, from);
      if (i >= 0) {
        found = {
          author: c.author ?? messages[i].author,
          text: c.text,
          messageIndex: i,
          messageId: messages[i].id,
        };
        from = i;
        break;
      }
    }
    out.push(
      found ?? (colon > 0 ? { author: line.slice(0, colon), text: line.slice(colon + 2) } : { text: line }),
    );
  }
  return out;
}

// ---- the structure every front end shows: a header, then one line per unit ----

/** Characters of message text a summary line shows. */
export const SUMMARY_LINE_MAX_CHARS = 220;
/** Characters of a speaker's name a summary line shows. */
export const SUMMARY_AUTHOR_MAX_CHARS = 64;
/** What a summary with no lines says instead (an empty history, only stickers or media). */
export const EMPTY_SUMMARY_NOTE = 'Nothing in these messages to sum up.';

/** "45 min", "3 h", "2 days": the span of the messages, for the header (no time zone needed). */
export function relativeSpan(seconds: number): string {
  if (seconds < 60) return 'under a minute';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

/** `text` cut to `max` characters (code points) at a word where one is near, with an ellipsis. */
export function cutText(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  const head = chars.slice(0, max - 1).join('');
  const space = head.lastIndexOf(' ');
  return `${(space > max / 2 ? head.slice(0, space) : head).trimEnd()}…`;
}

/** "Summary of the last N messages[, last 3 h]": the span only when the messages carry their times. */
export function summaryHeader(messages: ReadonlyArray<{ date?: number }>, nowSeconds: number): string {
  const n = messages.length;
  const first = messages.find((m) => m.date !== undefined)?.date;
  const what = n === 1 ? 'Summary of 1 message' : `Summary of the last ${n} messages`;
  return first === undefined ? what : `${what}, last ${relativeSpan(Math.max(0, nowSeconds - first))}`;
}

export interface SummaryViewLine extends SummaryLine {
  /** Where the line's message can be opened, when the caller knows a link for it. */
  link?: string;
}

export interface SummaryView {
  header: string;
  /** Speaker and text cut for display (`SUMMARY_AUTHOR_MAX_CHARS`, `lineMaxChars`), in chat order. */
  lines: SummaryViewLine[];
}

/**
 * A summary as the bot, the Mini App and any other front end show it: the header, then one line per unit
 * with its speaker, its text (cut with an ellipsis) and, where `linkOf` knows one, a link to its message.
 * The front end only renders it (Telegram HTML, React); an empty `lines` shows `EMPTY_SUMMARY_NOTE`.
 */
export function summaryView(opts: {
  summary: string;
  messages: ReadonlyArray<SummarySource & { date?: number }>;
  nowSeconds: number;
  linkOf?: (
    line: SummaryLine,
    message: (SummarySource & { link?: string }) | undefined,
  ) => string | undefined;
  lineMaxChars?: number;
}): SummaryView {
  const max = opts.lineMaxChars ?? SUMMARY_LINE_MAX_CHARS;
  const lines = attributeSummaryLines(opts.summary, opts.messages).map((l) => {
    const message = l.messageIndex === undefined ? undefined : opts.messages[l.messageIndex];
    const link = opts.linkOf?.(l, message);
    return {
      ...l,
      ...(l.author !== undefined ? { author: cutText(l.author, SUMMARY_AUTHOR_MAX_CHARS) } : {}),
      text: cutText(l.text, max),
      ...(link ? { link } : {}),
    };
  });
  return { header: summaryHeader(opts.messages, opts.nowSeconds), lines };
}

// ---- a pasted transcript ----

export interface TranscriptMessage {
  author?: string;
  text: string;
  /** The message id, when the line ends with a link to its message (t.me/c/<chat>/<id> or t.me/<name>/<id>). */
  id?: number;
  link?: string;
}

/** "Name: text" (a name of letters, digits, spaces and . _ ' @ -, up to 40 characters). */
const SPEAKER_LINE = /^\s*([\p{L}\p{N}_ .'@-]{1,40}?)\s*:\s+(\S.*)$/u;
/** A Telegram message link at the end of a line. */
const MESSAGE_LINK = /\s*(https:\/\/t\.me\/(?:c\/\d{1,20}|[A-Za-z0-9_]{4,32})\/(\d{1,15}))\s*$/;

/**
 * A pasted chat read as messages, one per non-empty line (lines split at \n or \r\n, as SAMSum has them).
 * "Name: text" lines carry their speaker when most lines look so (prose with a colon stays prose, as the
 * summarizer reads it); a line that ends with a Telegram message link carries that message's id and link.
 * Bounded by the caller's text.
 */
export function parseTranscript(text: string): TranscriptMessage[] {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const speaker = (l: string) => {
    const m = SPEAKER_LINE.exec(l);
    return m && !/^https?$/i.test(m[1].trim()) ? m : null;
  };
  const transcript = lines.filter((l) => speaker(l)).length >= lines.length * 0.6;
  return lines.map((line) => {
    let body = line;
    let ids: Pick<TranscriptMessage, 'id' | 'link'> = {};
    const link = MESSAGE_LINK.exec(body);
    if (link && link.index > 0) {
      ids = { id: Number(link[2]), link: link[1] };
      body = body.slice(0, link.index).trim();
    }
    const m = transcript ? speaker(body) : null;
    return m ? { author: m[1].trim(), text: m[2].trim(), ...ids } : { text: body, ...ids };
  });
}
