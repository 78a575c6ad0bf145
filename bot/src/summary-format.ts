// A summary as Telegram shows it: a header (how many messages, over what span: bots don't know a user's
// time zone, so the span is relative), then one line per quoted message: the speaker in bold, the text
// (cut with an ellipsis), a link to the message where Telegram can open it, then the cost line. HTML parse
// mode, escaped; never over Telegram's 4,096 characters.
import { attributeSummaryLines, type SummarySource } from '@cocoon/shared';
import { TELEGRAM_TEXT_LIMIT } from './text';

/** Characters of message text a summary line shows. */
export const LINE_MAX_CHARS = 220;

export interface SummaryChat {
  id: number;
  type: string;
  username?: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The link to a message, where one works: public chats by username, supergroups by internal id. */
export function messageLink(chat: SummaryChat, messageId: number | undefined): string | undefined {
  if (messageId === undefined || chat.type === 'private' || chat.type === 'group') return undefined;
  if (chat.username && /^[A-Za-z0-9_]{4,32}$/.test(chat.username))
    return `https://t.me/${chat.username}/${messageId}`;
  const id = String(chat.id);
  // Supergroup and channel ids are -100 followed by the internal id.
  if (/^-100\d+$/.test(id)) return `https://t.me/c/${BigInt(id.slice(4)).toString()}/${messageId}`;
  return undefined;
}

/** "45 min", "3 h", "2 days": the span of the messages, for the header. */
export function relativeSpan(seconds: number): string {
  if (seconds < 60) return 'under a minute';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

function cut(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  const head = chars.slice(0, max - 1).join('');
  const space = head.lastIndexOf(' ');
  return `${(space > max / 2 ? head.slice(0, space) : head).trimEnd()}…`;
}

export function summaryHeader(messages: ReadonlyArray<{ date?: number }>, nowSeconds: number): string {
  const n = messages.length;
  const first = messages.find((m) => m.date !== undefined)?.date;
  const what = n === 1 ? 'Summary of 1 message' : `Summary of the last ${n} messages`;
  return first === undefined ? what : `${what}, last ${relativeSpan(Math.max(0, nowSeconds - first))}`;
}

/**
 * The summary as Telegram HTML: the header in bold, one line per summary line, the footer in italics. Lines
 * that would pass `limit` are left out (and said so), so the result always fits one message.
 */
export function summaryHtml(opts: {
  summary: string;
  messages: ReadonlyArray<SummarySource & { date?: number }>;
  chat: SummaryChat;
  nowSeconds: number;
  footer?: string;
  limit?: number;
}): string {
  const limit = opts.limit ?? TELEGRAM_TEXT_LIMIT;
  const header = `<b>${escapeHtml(summaryHeader(opts.messages, opts.nowSeconds))}</b>`;
  const footer = opts.footer ? `\n\n<i>${escapeHtml(opts.footer)}</i>` : '';
  const lines = attributeSummaryLines(opts.summary, opts.messages).map((l) => {
    const link = messageLink(opts.chat, l.messageId);
    const who = l.author ? `<b>${escapeHtml(cut(l.author, 64))}</b>: ` : '';
    const text = escapeHtml(cut(l.text, LINE_MAX_CHARS));
    return `• ${who}${text}${link ? ` <a href="${escapeHtml(link)}">↗</a>` : ''}`;
  });
  let body = header;
  let left = 0;
  for (const [i, line] of lines.entries()) {
    const more = lines.length - i - 1;
    const note = more > 0 ? `\n(${more} more lines left out)` : '';
    if (body.length + 1 + line.length + note.length + footer.length > limit) {
      left = lines.length - i;
      break;
    }
    body += `\n${line}`;
  }
  if (left > 0) body += `\n(${left} more lines left out)`;
  if (lines.length === 0) body += '\nNothing in these messages to sum up.';
  return (body + footer).length <= limit ? body + footer : body.slice(0, limit);
}
