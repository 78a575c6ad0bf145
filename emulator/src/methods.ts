// Bot API methods, one handler each, with zod-validated parameters and Telegram's error texts.
// Handlers are looked up by lowercase name because Telegram's method names are case-insensitive.
import { z } from 'zod';
import type { UploadedFile } from './body';
import { type FormattedText, parseFormattedText } from './entities';
import { ApiError, badRequest } from './errors';
import { replyMarkupSchema, sameMarkup, validateReplyMarkup } from './markup';
import type { TgMessage } from './model';
import { bool, chatId, int, json, parseParams } from './params';
import type { Throttle } from './throttle';
import { type BotAccount, type Conversation, memberObject, type World } from './world';

export interface MethodContext {
  world: World;
  bot: BotAccount;
  params: Record<string, unknown>;
  files: Map<string, UploadedFile>;
  /** Aborted when the HTTP client goes away (a long poll cancelled by bot.stop()). */
  signal: AbortSignal;
  strictUrls: boolean;
  throttle: Throttle | undefined;
}

type Handler = (ctx: MethodContext) => unknown;

const maxTextLength = 4096;
const maxCaptionLength = 1024;
const updateTypes = z.array(z.string());
const entitiesSchema = z.array(
  z.object({ type: z.string(), offset: z.number(), length: z.number() }).passthrough(),
);

const replyParameters = z
  .object({ message_id: int(), chat_id: chatId().optional(), allow_sending_without_reply: bool().optional() })
  .passthrough();

const sendBase = {
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

function formatted(
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
function sendToChat(
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

function commandsKey(scope: unknown, languageCode: string | undefined): string {
  const s = (scope ?? { type: 'default' }) as { type?: string; chat_id?: unknown; user_id?: unknown };
  return JSON.stringify([s.type ?? 'default', s.chat_id ?? null, s.user_id ?? null, languageCode ?? '']);
}

const commandsScope = {
  scope: json(z.object({ type: z.string() }).passthrough()).optional(),
  language_code: z.string().optional(),
};

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

const notModified =
  'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';

const sameEntities = (a: unknown[] | undefined, b: unknown[] | undefined) =>
  JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

export const methods: Record<string, Handler> = {
  getme: ({ bot }) => ({
    ...bot.user,
    can_join_groups: true,
    can_read_all_group_messages: bot.canReadAllGroupMessages,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
  }),

  getupdates: async (ctx) => {
    const p = parseParams(
      z.object({
        offset: int().optional(),
        limit: int().optional(),
        timeout: int().optional(),
        allowed_updates: json(updateTypes).optional(),
      }),
      ctx.params,
    );
    ctx.bot.queue.setAllowedUpdates(p.allowed_updates);
    const limit = Math.min(Math.max(p.limit ?? 100, 1), 100);
    return ctx.bot.queue.getUpdates({ offset: p.offset, limit, timeoutSeconds: p.timeout ?? 0 }, ctx.signal);
  },

  setwebhook: (ctx) => {
    const p = parseParams(
      z.object({
        url: z.string(),
        secret_token: z.string().optional(),
        max_connections: int().optional(),
        allowed_updates: json(updateTypes).optional(),
        drop_pending_updates: bool().optional(),
      }),
      ctx.params,
    );
    if (p.secret_token !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(p.secret_token)) {
      throw badRequest('secret token contains unallowed characters');
    }
    if (p.drop_pending_updates) ctx.bot.queue.dropPending();
    ctx.bot.queue.setAllowedUpdates(p.allowed_updates);
    if (p.url === '') {
      ctx.bot.queue.setWebhook(undefined);
      return true;
    }
    let url: URL;
    try {
      url = new URL(p.url);
    } catch {
      throw badRequest('bad webhook: Failed to resolve host: Name or service not known');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw badRequest('bad webhook: HTTPS url must be provided for webhook');
    if (ctx.strictUrls && url.protocol !== 'https:')
      throw badRequest('bad webhook: HTTPS url must be provided for webhook');
    ctx.bot.queue.setWebhook({
      url: p.url,
      secretToken: p.secret_token,
      maxConnections: p.max_connections ?? 40,
    });
    return true;
  },

  deletewebhook: (ctx) => {
    const p = parseParams(z.object({ drop_pending_updates: bool().optional() }), ctx.params);
    if (p.drop_pending_updates) ctx.bot.queue.dropPending();
    ctx.bot.queue.setWebhook(undefined);
    return true;
  },

  getwebhookinfo: ({ bot }) => {
    const { webhook, webhookStatus } = bot.queue;
    return {
      url: webhook?.url ?? '',
      has_custom_certificate: false,
      pending_update_count: bot.queue.pendingCount,
      ...(webhook ? { max_connections: webhook.maxConnections, ip_address: '127.0.0.1' } : {}),
      ...(webhookStatus.lastErrorDate !== undefined
        ? { last_error_date: webhookStatus.lastErrorDate, last_error_message: webhookStatus.lastErrorMessage }
        : {}),
      ...(bot.queue.allowedUpdates ? { allowed_updates: bot.queue.allowedUpdates } : {}),
    };
  },

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

  sendphoto: (ctx) => {
    const p = parseParams(
      z.object({
        ...sendBase,
        caption: z.string().optional(),
        caption_entities: json(entitiesSchema).optional(),
      }),
      ctx.params,
    );
    ctx.world.conversationForBot(ctx.bot, p.chat_id);
    const file = fileFromParam(ctx, 'photo', 'AgAC');
    const caption = p.caption
      ? formatted(p.caption, p.parse_mode, p.caption_entities, maxCaptionLength, 'caption')
      : undefined;
    return sendToChat(ctx, p, {
      photo: [
        {
          file_id: file.file_id,
          file_unique_id: file.file_unique_id,
          width: 800,
          height: 600,
          file_size: file.file_size,
        },
      ],
      ...(caption?.text ? { caption: caption.text } : {}),
      ...(caption?.entities.length ? { caption_entities: caption.entities } : {}),
    });
  },

  senddocument: (ctx) => {
    const p = parseParams(
      z.object({
        ...sendBase,
        caption: z.string().optional(),
        caption_entities: json(entitiesSchema).optional(),
      }),
      ctx.params,
    );
    ctx.world.conversationForBot(ctx.bot, p.chat_id);
    const file = fileFromParam(ctx, 'document', 'BQAC');
    const caption = p.caption
      ? formatted(p.caption, p.parse_mode, p.caption_entities, maxCaptionLength, 'caption')
      : undefined;
    return sendToChat(ctx, p, {
      document: {
        ...file,
        file_name: file.file_name ?? 'document.dat',
        mime_type: 'application/octet-stream',
      },
      ...(caption?.text ? { caption: caption.text } : {}),
      ...(caption?.entities.length ? { caption_entities: caption.entities } : {}),
    });
  },

  editmessagetext: (ctx) => {
    const p = parseParams(
      z.object({
        chat_id: chatId().optional(),
        message_id: int().optional(),
        inline_message_id: z.string().optional(),
        text: z.string(),
        parse_mode: z.string().optional(),
        entities: json(entitiesSchema).optional(),
        reply_markup: json(replyMarkupSchema).optional(),
        link_preview_options: json(z.object({}).passthrough()).optional(),
      }),
      ctx.params,
    );
    if (p.inline_message_id !== undefined) throw badRequest('MESSAGE_ID_INVALID');
    if (p.chat_id === undefined) throw badRequest('chat_id is empty');
    if (p.message_id === undefined) throw badRequest('message identifier is not specified');
    const { conv, message } = findOwnMessage(ctx, p.chat_id, p.message_id, 'edit');
    if (conv.authors.get(message.message_id) !== ctx.bot.user.id) throw badRequest("message can't be edited");
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
        chat_id: chatId().optional(),
        message_id: int().optional(),
        inline_message_id: z.string().optional(),
        reply_markup: json(replyMarkupSchema).optional(),
      }),
      ctx.params,
    );
    if (p.inline_message_id !== undefined) throw badRequest('MESSAGE_ID_INVALID');
    if (p.chat_id === undefined) throw badRequest('chat_id is empty');
    if (p.message_id === undefined) throw badRequest('message identifier is not specified');
    const { conv, message } = findOwnMessage(ctx, p.chat_id, p.message_id, 'edit');
    if (conv.authors.get(message.message_id) !== ctx.bot.user.id) throw badRequest("message can't be edited");
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

  setmycommands: (ctx) => {
    const p = parseParams(
      z.object({
        commands: json(z.array(z.object({ command: z.string(), description: z.string() }).passthrough())),
        ...commandsScope,
      }),
      ctx.params,
    );
    if (p.commands.length > 100) throw badRequest('BOT_COMMANDS_TOO_MUCH');
    for (const c of p.commands) {
      if (!/^[a-z0-9_]{1,32}$/.test(c.command.replace(/^\//, ''))) throw badRequest('BOT_COMMAND_INVALID');
      if (c.description.length < 1 || c.description.length > 256)
        throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
    }
    const commands = p.commands.map((c) => ({
      command: c.command.replace(/^\//, ''),
      description: c.description,
    }));
    ctx.bot.commands.set(commandsKey(p.scope, p.language_code), commands);
    ctx.world.emit({ type: 'world' });
    return true;
  },

  getmycommands: (ctx) => {
    const p = parseParams(z.object(commandsScope), ctx.params);
    return ctx.bot.commands.get(commandsKey(p.scope, p.language_code)) ?? [];
  },

  deletemycommands: (ctx) => {
    const p = parseParams(z.object(commandsScope), ctx.params);
    ctx.bot.commands.delete(commandsKey(p.scope, p.language_code));
    ctx.world.emit({ type: 'world' });
    return true;
  },

  getchat: (ctx) => {
    const p = parseParams(z.object({ chat_id: chatId() }), ctx.params);
    const conv = ctx.world.conversationForBot(ctx.bot, p.chat_id, 'read');
    const base = { ...conv.chat, accent_color_id: 0, max_reaction_count: 11 };
    const gifts = {
      unlimited_gifts: false,
      limited_gifts: false,
      unique_gifts: false,
      premium_subscription: false,
      gifts_from_channels: false,
    };
    if (conv.chat.type === 'private') return { ...base, accepted_gift_types: gifts };
    return {
      ...base,
      accepted_gift_types: gifts,
      permissions: {
        can_send_messages: true,
        can_send_photos: true,
        can_invite_users: true,
        can_pin_messages: false,
      },
    };
  },

  getchatmember: (ctx) => {
    const p = parseParams(z.object({ chat_id: chatId(), user_id: int() }), ctx.params);
    const conv = ctx.world.conversationForBot(ctx.bot, p.chat_id, 'read');
    return ctx.world.chatMember(conv, p.user_id);
  },

  getchatadministrators: (ctx) => {
    const p = parseParams(z.object({ chat_id: chatId() }), ctx.params);
    const conv = ctx.world.conversationForBot(ctx.bot, p.chat_id, 'read');
    if (conv.chat.type === 'private') throw badRequest('there are no administrators in the private chat');
    return [...conv.members]
      .filter(([, status]) => status === 'creator' || status === 'administrator')
      .map(([id, status]) => memberObject(ctx.world.users.get(id) ?? ctx.world.bots.get(id)!.user, status));
  },

  getchatmembercount: (ctx) => {
    const p = parseParams(z.object({ chat_id: chatId() }), ctx.params);
    const conv = ctx.world.conversationForBot(ctx.bot, p.chat_id, 'read');
    return [...conv.members.values()].filter(
      (s) => s === 'creator' || s === 'administrator' || s === 'member',
    ).length;
  },

  answercallbackquery: (ctx) => {
    const p = parseParams(
      z.object({
        callback_query_id: z.string().or(int().transform(String)),
        text: z.string().optional(),
        show_alert: bool().optional(),
        url: z.string().optional(),
        cache_time: int().optional(),
      }),
      ctx.params,
    );
    const pending = ctx.world.callbacks.get(p.callback_query_id);
    if (!pending || pending.answer || pending.botId !== ctx.bot.user.id) {
      throw badRequest('query is too old and response timeout expired or query ID is invalid');
    }
    if (p.text !== undefined && p.text.length > 200) throw badRequest('MESSAGE_TOO_LONG');
    pending.answer = {
      ...(p.text !== undefined ? { text: p.text } : {}),
      ...(p.show_alert !== undefined ? { show_alert: p.show_alert } : {}),
      ...(p.url !== undefined ? { url: p.url } : {}),
      ...(p.cache_time !== undefined ? { cache_time: p.cache_time } : {}),
    };
    ctx.world.emit({ type: 'callback_answer', queryId: pending.id, answer: pending.answer });
    return true;
  },

  leavechat: (ctx) => {
    const p = parseParams(z.object({ chat_id: chatId() }), ctx.params);
    const conv = ctx.world.conversationForBot(ctx.bot, p.chat_id, 'read');
    if (conv.chat.type === 'private')
      throw badRequest("chat member status can't be changed in private chats");
    const status = conv.members.get(ctx.bot.user.id) ?? 'left';
    conv.members.set(ctx.bot.user.id, 'left');
    ctx.bot.queue.push('my_chat_member', {
      chat: conv.chat,
      from: ctx.bot.user,
      date: Math.floor(Date.now() / 1000),
      old_chat_member: memberObject(ctx.bot.user, status),
      new_chat_member: memberObject(ctx.bot.user, 'left'),
    });
    const service = ctx.world.appendMessage(conv, { from: ctx.bot.user, left_chat_member: ctx.bot.user });
    ctx.world.deliverToBots(conv, service, 'message');
    ctx.world.emit({ type: 'world' });
    return true;
  },

  setchatmenubutton: (ctx) => {
    const menuButton = z.discriminatedUnion('type', [
      z.object({ type: z.literal('default') }),
      z.object({ type: z.literal('commands') }),
      z.object({
        type: z.literal('web_app'),
        text: z.string().min(1),
        web_app: z.object({ url: z.string() }),
      }),
    ]);
    const p = parseParams(
      z.object({ chat_id: int().optional(), menu_button: json(menuButton).optional() }),
      ctx.params,
    );
    if (p.chat_id !== undefined) {
      const conv = ctx.world.conversationForBot(ctx.bot, p.chat_id, 'read');
      if (conv.chat.type !== 'private') throw badRequest('chat_id must be a private chat');
    }
    const button = p.menu_button ?? { type: 'default' as const };
    if (button.type === 'web_app') {
      let url: URL | undefined;
      try {
        url = new URL(button.web_app.url);
      } catch {
        url = undefined;
      }
      if (!url || (ctx.strictUrls && url.protocol !== 'https:')) throw badRequest('BUTTON_URL_INVALID');
    }
    ctx.bot.menuButtons.set(p.chat_id ?? 0, button);
    ctx.world.emit({ type: 'world' });
    return true;
  },

  getchatmenubutton: (ctx) => {
    const p = parseParams(z.object({ chat_id: int().optional() }), ctx.params);
    return ctx.bot.menuButtons.get(p.chat_id ?? 0) ?? ctx.bot.menuButtons.get(0) ?? { type: 'commands' };
  },

  setmydescription: (ctx) => {
    const p = parseParams(z.object({ description: z.string().max(512).optional() }), ctx.params);
    ctx.bot.description = p.description ?? '';
    return true;
  },
  getmydescription: ({ bot }) => ({ description: bot.description }),
  setmyshortdescription: (ctx) => {
    const p = parseParams(z.object({ short_description: z.string().max(120).optional() }), ctx.params);
    ctx.bot.shortDescription = p.short_description ?? '';
    return true;
  },
  getmyshortdescription: ({ bot }) => ({ short_description: bot.shortDescription }),
};

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}
