// A summary as Telegram shows it: a header (how many messages, over what span: bots don't know a user's
// time zone, so the span is relative), then one line per quoted message: the speaker in bold, the text
// (cut with an ellipsis), a link to the message where Telegram can open it, then the cost line. HTML parse
// mode, escaped; never over Telegram's 4,096 characters.
import {
  EMPTY_SUMMARY_NOTE,
  relativeSpan,
  SUMMARY_LINE_MAX_CHARS,
  type SummarySource,
  summaryHeader,
  summaryView,
} from '@cocoon/shared';
import { TELEGRAM_TEXT_LIMIT } from './text';

/** Characters of message text a summary line shows. */
export const LINE_MAX_CHARS = SUMMARY_LINE_MAX_CHARS;
// The structure (header, lines, cuts) is shared with the Mini App's Playground; only the HTML is the bot's.
export { relativeSpan, summaryHeader };

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
  const view = summaryView({
    summary: opts.summary,
    messages: opts.messages,
    nowSeconds: opts.nowSeconds,
    linkOf: (l) => messageLink(opts.chat, l.messageId),
    lineMaxChars: LINE_MAX_CHARS,
  });
  const header = `<b>${escapeHtml(view.header)}</b>`;
  const footer = opts.footer ? `\n\n<i>${escapeHtml(opts.footer)}</i>` : '';
  const lines = view.lines.map((l) => {
    const who = l.author ? `<b>${escapeHtml(l.author)}</b>: ` : '';
    return `• ${who}${escapeHtml(l.text)}${l.link ? ` <a href="${escapeHtml(l.link)}">↗</a>` : ''}`;
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
  if (lines.length === 0) body += `\n${EMPTY_SUMMARY_NOTE}`;
  return (body + footer).length <= limit ? body + footer : body.slice(0, limit);
}
