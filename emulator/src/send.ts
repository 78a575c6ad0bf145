// What every send* method shares: the common parameters, formatted text, the reply target, and storing the
// message in its chat after the access, throttle and markup checks.
import { z } from 'zod';
import { type FormattedText, parseFormattedText } from './entities';
import { badRequest } from './errors';
import { replyMarkupSchema, validateReplyMarkup } from './markup';
import type { MethodContext } from './methods';
import type { TgMessage } from './model';
import { bool, chatId, int, json } from './params';
import type { Conversation, World } from './world';

export const maxTextLength = 4096;
export const maxCaptionLength = 1024;
export const entitiesSchema = z.array(
  z.object({ type: z.string(), offset: z.number(), length: z.number() }).passthrough(),
);

const replyParameters = z
  .object({ message_id: int(), chat_id: chatId().optional(), allow_sending_without_reply: bool().optional() })
  .passthrough();

export const sendBase = {
  chat_id: chatId(),
  parse_mode: z.string().optional(),
  reply_markup: json(replyMarkupSchema).optional(),
  reply_parameters: json(replyParameters).optional(),
  reply_to_message_id: int().optional(),
  allow_sending_without_reply: bool().optional(),
  disable_notification: bool().optional(),
  protect_content: bool().optional(),
  message_thread_id: int().optional(),
  business_connection_id: z.string().optional(),
};

export function formatted(
  text: string,
  parseMode: string | undefined,
  entities: unknown,
  limit: number,
  what: 'text' | 'caption',
): FormattedText {
  const explicit =
    entities === undefined ? undefined : (entitiesSchema.parse(entities) as FormattedText['entities']);
  const result = parseFormattedText(text, parseMode, explicit);
  if (what === 'text' && result.text.length === 0) throw badRequest('message text is empty');
  if (result.text.length > limit)
    throw badRequest(what === 'text' ? 'message is too long' : 'message caption is too long');
  return result;
}

function replyTarget(
  conv: Conversation,
  p: {
    reply_parameters?: { message_id: number; allow_sending_without_reply?: boolean };
    reply_to_message_id?: number;
    allow_sending_without_reply?: boolean;
  },
  world: World,
): TgMessage | undefined {
  const id = p.reply_parameters?.message_id ?? p.reply_to_message_id;
  if (id === undefined) return undefined;
  const quoted = world.quoted(conv, id);
  const lenient = p.reply_parameters?.allow_sending_without_reply ?? p.allow_sending_without_reply;
  if (!quoted && !lenient) throw badRequest('message to be replied not found');
  return quoted;
}

/** Shared by every send* method: access, throttle, reply, markup, store. */
export function sendToChat(
  ctx: MethodContext,
  p: z.infer<z.ZodObject<typeof sendBase>>,
  content: Partial<TgMessage>,
): TgMessage {
  const { world, bot } = ctx;
  const conv = world.conversationForBot(bot, p.chat_id);
  ctx.throttle?.check(conv.chat);
  const replyTo = replyTarget(conv, p, world);
  const inline = validateReplyMarkup(p.reply_markup, conv.chat.type, { strictUrls: ctx.strictUrls });
  if (p.reply_markup && ('keyboard' in p.reply_markup || 'remove_keyboard' in p.reply_markup)) {
    conv.replyKeyboard = 'keyboard' in p.reply_markup ? p.reply_markup : undefined;
  }
  const fields: Partial<TgMessage> = { from: bot.user, ...content };
  if (replyTo) fields.reply_to_message = replyTo;
  if (inline) fields.reply_markup = inline;
  return world.appendMessage(conv, fields, bot.user.id);
}
