// Bot API methods that send, edit and delete messages, and chat actions.
import { z } from 'zod';
import { badRequest } from './errors';
import { replyMarkupSchema, sameMarkup, validateReplyMarkup } from './markup';
import type { Handler, MethodContext } from './methods';
import type { TgMessage } from './model';
import { bool, chatId, int, json, parseParams } from './params';
import { entitiesSchema, formatted, maxCaptionLength, maxTextLength, sendBase, sendToChat } from './send';
import type { Conversation } from './world';

function fileFromParam(
  ctx: MethodContext,
  name: string,
  kind: string,
): { file_id: string; file_unique_id: string; file_size: number; file_name?: string } {
  const value = ctx.params[name];
  const id = (suffix: string) =>
    `${kind}_${suffix}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  if (typeof value === 'string' && value.startsWith('attach://')) {
    const file = ctx.files.get(value.slice(9));
    if (!file) throw badRequest(`wrong file identifier/HTTP URL specified`);
    return {
      file_id: id('up'),
      file_unique_id: id('u'),
      file_size: file.data.length,
      file_name: file.filename,
    };
  }
  const uploaded = ctx.files.get(name);
  if (uploaded)
    return {
      file_id: id('up'),
      file_unique_id: id('u'),
      file_size: uploaded.data.length,
      file_name: uploaded.filename,
    };
  if (typeof value === 'string' && value.length > 0)
    return { file_id: value, file_unique_id: id('u'), file_size: 0 };
  throw badRequest(`there is no ${name} in the request`);
}

type SentFile = ReturnType<typeof fileFromParam>;

/** sendPhoto and sendDocument: the file parameter, an optional formatted caption, then the common send. */
function sendFile(
  ctx: MethodContext,
  field: 'photo' | 'document',
  kind: string,
  content: (file: SentFile) => Partial<TgMessage>,
): TgMessage {
  const p = parseParams(
    z.object({
      ...sendBase,
      caption: z.string().optional(),
      caption_entities: json(entitiesSchema).optional(),
    }),
    ctx.params,
  );
  ctx.world.conversationForBot(ctx.bot, p.chat_id);
  const file = fileFromParam(ctx, field, kind);
  const caption = p.caption
    ? formatted(p.caption, p.parse_mode, p.caption_entities, maxCaptionLength, 'caption')
    : undefined;
  return sendToChat(ctx, p, {
    ...content(file),
    ...(caption?.text ? { caption: caption.text } : {}),
    ...(caption?.entities.length ? { caption_entities: caption.entities } : {}),
  });
}

function findOwnMessage(
  ctx: MethodContext,
  chat: number | string,
  messageId: number,
  action: 'edit' | 'delete',
): { conv: Conversation; message: TgMessage } {
  const conv = ctx.world.conversationForBot(ctx.bot, chat, 'read');
  const message = conv.messages.get(messageId);
  if (!message) throw badRequest(`message to ${action} not found`);
  return { conv, message };
}

const chatActions = new Set([
  'typing',
  'upload_photo',
  'record_video',
  'upload_video',
  'record_voice',
  'upload_voice',
  'upload_document',
  'choose_sticker',
  'find_location',
  'record_video_note',
  'upload_video_note',
]);

function editResult(
  ctx: MethodContext,
  conv: Conversation,
  message: TgMessage,
  changes: Partial<TgMessage>,
  inline: unknown,
): TgMessage {
  const edited: TgMessage = { ...message, ...changes, edit_date: Math.floor(Date.now() / 1000) };
  if (inline) edited.reply_markup = inline as TgMessage['reply_markup'];
  else delete edited.reply_markup;
  for (const key of Object.keys(changes) as (keyof TgMessage)[])
    if (changes[key] === undefined) delete edited[key];
  conv.messages.set(message.message_id, edited);
  ctx.world.emit({ type: 'edit', chatKey: conv.key, message: edited });
  return edited;
}

const editTargetParams = {
  chat_id: chatId().optional(),
  message_id: int().optional(),
  inline_message_id: z.string().optional(),
};

/** The message an edit* method names: one of the bot's own messages in a chat (no inline messages here). */
function editTarget(
  ctx: MethodContext,
  p: { chat_id?: number | string; message_id?: number; inline_message_id?: string },
): { conv: Conversation; message: TgMessage } {
  if (p.inline_message_id !== undefined) throw badRequest('MESSAGE_ID_INVALID');
  if (p.chat_id === undefined) throw badRequest('chat_id is empty');
  if (p.message_id === undefined) throw badRequest('message identifier is not specified');
  const found = findOwnMessage(ctx, p.chat_id, p.message_id, 'edit');
  if (found.conv.authors.get(found.message.message_id) !== ctx.bot.user.id)
    throw badRequest("message can't be edited");
  return found;
}

const notModified =
  'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';

const sameEntities = (a: unknown[] | undefined, b: unknown[] | undefined) =>
  JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

export const messageMethods: Record<string, Handler> = {
  sendmessage: (ctx) => {
    const p = parseParams(
      z.object({
        ...sendBase,
        text: z.string(),
        entities: json(entitiesSchema).optional(),
        link_preview_options: json(z.object({}).passthrough()).optional(),
        disable_web_page_preview: bool().optional(),
      }),
      ctx.params,
    );
    // Check the chat before the text, in Telegram's order: a bad chat wins over a bad text.
    ctx.world.conversationForBot(ctx.bot, p.chat_id);
    const { text, entities } = formatted(p.text, p.parse_mode, p.entities, maxTextLength, 'text');
    return sendToChat(ctx, p, {
      text,
      ...(entities.length ? { entities } : {}),
      ...(p.link_preview_options ? { link_preview_options: p.link_preview_options } : {}),
    });
  },

  sendphoto: (ctx) =>
    sendFile(ctx, 'photo', 'AgAC', (file) => ({
      photo: [
        {
          file_id: file.file_id,
          file_unique_id: file.file_unique_id,
          width: 800,
          height: 600,
          file_size: file.file_size,
        },
      ],
    })),

  senddocument: (ctx) =>
    sendFile(ctx, 'document', 'BQAC', (file) => ({
      document: {
        ...file,
        file_name: file.file_name ?? 'document.dat',
        mime_type: 'application/octet-stream',
      },
    })),

  editmessagetext: (ctx) => {
    const p = parseParams(
      z.object({
        ...editTargetParams,
        text: z.string(),
        parse_mode: z.string().optional(),
        entities: json(entitiesSchema).optional(),
        reply_markup: json(replyMarkupSchema).optional(),
        link_preview_options: json(z.object({}).passthrough()).optional(),
      }),
      ctx.params,
    );
    const { conv, message } = editTarget(ctx, p);
    if (message.text === undefined) throw badRequest('there is no text in the message to edit');
    const { text, entities } = formatted(p.text, p.parse_mode, p.entities, maxTextLength, 'text');
    const inline = validateReplyMarkup(p.reply_markup, conv.chat.type, { strictUrls: ctx.strictUrls });
    if (
      text === message.text &&
      sameEntities(entities, message.entities) &&
      sameMarkup(inline, message.reply_markup)
    ) {
      throw badRequest(notModified);
    }
    return editResult(ctx, conv, message, { text, entities: entities.length ? entities : undefined }, inline);
  },

  editmessagereplymarkup: (ctx) => {
    const p = parseParams(
      z.object({
        ...editTargetParams,
        reply_markup: json(replyMarkupSchema).optional(),
      }),
      ctx.params,
    );
    const { conv, message } = editTarget(ctx, p);
    const inline = validateReplyMarkup(p.reply_markup, conv.chat.type, { strictUrls: ctx.strictUrls });
    if (sameMarkup(inline, message.reply_markup)) throw badRequest(notModified);
    return editResult(ctx, conv, message, {}, inline);
  },

  deletemessage: (ctx) => {
    const p = parseParams(z.object({ chat_id: chatId(), message_id: int() }), ctx.params);
    const { conv, message } = findOwnMessage(ctx, p.chat_id, p.message_id, 'delete');
    const own = conv.authors.get(message.message_id) === ctx.bot.user.id;
    const admin = ['administrator', 'creator'].includes(conv.members.get(ctx.bot.user.id) ?? '');
    if (!own && conv.chat.type !== 'private' && !admin) throw badRequest("message can't be deleted");
    conv.messages.delete(message.message_id);
    ctx.world.emit({ type: 'delete', chatKey: conv.key, messageId: message.message_id });
    return true;
  },

  sendchataction: (ctx) => {
    const p = parseParams(
      z.object({ chat_id: chatId(), action: z.string(), message_thread_id: int().optional() }),
      ctx.params,
    );
    const conv = ctx.world.conversationForBot(ctx.bot, p.chat_id);
    if (!chatActions.has(p.action)) throw badRequest('wrong parameter action in request');
    ctx.world.emit({ type: 'chat_action', chatKey: conv.key, action: p.action, botId: ctx.bot.user.id });
    return true;
  },
};
