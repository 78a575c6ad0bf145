// /summarize: in a group, the recent conversation the bot has seen (last N, or from a replied message on);
// in a private chat, the replied-to (often forwarded) text. The sender pays.
import { type CommandContext, Composer, type Context } from 'grammy';
import type { Message, User } from 'grammy/types';
import { z } from 'zod';
import type { Features } from '../deps';
import { displayName } from '../deps';
import type { HistoryMessage } from '../history/store';
import { replyTo, startChatJob, takeRateLimit } from '../job';
import { summaryHtml } from '../summary-format';

export function countArg(max: number) {
  return z
    .string()
    .trim()
    .regex(/^\d{1,7}$/, 'not a number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max));
}

export interface SummaryMessage {
  author: string;
  text: string;
  id?: number;
  replyTo?: number;
  date?: number;
}

/** Keeps the newest messages whose text fits in `maxChars` in all (at least the newest one, cut). */
export function fitMessages(messages: HistoryMessage[], maxChars: number): SummaryMessage[] {
  const out: SummaryMessage[] = [];
  let used = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    const room = maxChars - used;
    if (room <= 0) break;
    const text = m.text.length > room ? m.text.slice(0, room) : m.text;
    out.push({
      author: m.author.slice(0, 128),
      text,
      id: m.messageId,
      ...(m.replyTo !== undefined ? { replyTo: m.replyTo } : {}),
      date: m.date,
    });
    used += text.length;
  }
  return out.reverse();
}

function originName(m: Message): string {
  const o = m.forward_origin;
  if (o?.type === 'user') return displayName(o.sender_user);
  if (o?.type === 'hidden_user') return o.sender_user_name.slice(0, 128);
  if (o?.type === 'chat') return (o.sender_chat.title ?? '').slice(0, 128);
  if (o?.type === 'channel') return (o.chat.title ?? '').slice(0, 128);
  return m.from ? displayName(m.from) : '';
}

/**
 * The summarize job for the command in `ctx`, paid by `payer`: `pick` chooses the messages (or answers with a
 * string instead), and the summary is shown with them.
 */
function startSummary(
  f: Features,
  ctx: CommandContext<Context>,
  payer: User,
  pick: () => Promise<SummaryMessage[] | string>,
): void {
  const chat = ctx.chat;
  let messages: SummaryMessage[] = [];
  startChatJob(f, ctx, {
    name: 'summarize',
    model: f.config.SUMMARIZE_MODEL,
    payer,
    chatId: chat.id,
    chatType: chat.type,
    replyToMessageId: ctx.msg.message_id,
    placeholder: 'Summarizing…',
    prepare: async () => {
      const picked = await pick();
      if (typeof picked === 'string') return picked;
      messages = picked;
      return { kind: 'summarize', messages, maxTokens: f.config.SUMMARIZE_MAX_TOKENS };
    },
    formatHtml: (summary, footer) =>
      summaryHtml({ summary, messages, chat, nowSeconds: Math.floor(Date.now() / 1000), footer }),
  });
}

export function summarizeFeature(f: Features): Composer<Context> {
  const { config, deps } = f;
  const c = new Composer<Context>();

  c.command('summarize', async (ctx) => {
    const chat = ctx.chat;
    const from = ctx.from;
    if (!from) return;
    const replied = ctx.msg.reply_to_message;
    const usage =
      `Usage: /summarize [how many messages, 1–${config.SUMMARIZE_MAX_MESSAGES}] — ` +
      `the last ${config.SUMMARIZE_DEFAULT_MESSAGES} by default. Reply to a message with /summarize to sum up ` +
      'from that message on.';

    if (chat.type === 'private') {
      const text = replied?.text ?? replied?.caption;
      if (!replied || !text?.trim()) {
        await ctx.reply(
          'Forward or paste a message here, then reply to it with /summarize. ' +
            'In a group I sum up the recent conversation.',
          { reply_parameters: replyTo(ctx) },
        );
        return;
      }
      if (!(await takeRateLimit(f, ctx))) return;
      const message = {
        author: originName(replied),
        text: text.slice(0, config.SUMMARIZE_MAX_INPUT_CHARS),
        date: replied.forward_origin?.date ?? replied.date,
      };
      startSummary(f, ctx, from, async () => [message]);
      return;
    }

    let limit = replied ? config.SUMMARIZE_MAX_MESSAGES : config.SUMMARIZE_DEFAULT_MESSAGES;
    if (ctx.match.trim()) {
      const n = countArg(config.SUMMARIZE_MAX_MESSAGES).safeParse(ctx.match);
      if (!n.success) {
        await ctx.reply(usage, { reply_parameters: replyTo(ctx) });
        return;
      }
      limit = n.data;
    }
    if (!(await takeRateLimit(f, ctx))) return;
    const fromMessageId = replied?.message_id;
    startSummary(f, ctx, from, async () => {
      const messages = await deps.history.list(chat.id, { limit, fromMessageId });
      if (messages.length > 0) return fitMessages(messages, config.SUMMARIZE_MAX_INPUT_CHARS);
      return fromMessageId === undefined
        ? "I haven't seen any text messages here yet. I read only what is sent while I'm in the group, " +
            'and keep it for a limited time.'
        : "I don't have that message or anything after it any more.";
    });
  });

  return c;
}
