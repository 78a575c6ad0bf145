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
