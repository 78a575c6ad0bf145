// The emulator's world: bots, users, chats and their messages, and the updates each bot is owed.
// Private chats are per (bot, user) — the chat id is the user's id, as on Telegram — while group
// chats are shared by every bot in them, with one message-id sequence per chat.
import { detectEntities as detect } from './entities';
import { badRequest } from './errors';
import { checkBotAccess, memberObject, privacyModeLets } from './members';
import type {
  BotConfig,
  ButtonPress,
  CallbackAnswer,
  ChatType,
  MemberStatus,
  NewUser,
  TgChat,
  TgMessage,
  TgUser,
  WorldEvent,
} from './model';
import { UpdateQueue, type UpdateQueueOptions } from './updates';
import { type UserContent, userContentFields } from './user-content';

export interface BotAccount {
  token: string;
  user: TgUser & { username: string };
  canReadAllGroupMessages: boolean;
  queue: UpdateQueue;
  /** Commands by scope+language key, see commandsKey(). */
  commands: Map<string, { command: string; description: string }[]>;
  /** Menu button per private chat id; key 0 is the default. */
  menuButtons: Map<number, Record<string, unknown>>;
  description: string;
  shortDescription: string;
}

export interface Conversation {
  /** 'p:<botId>:<userId>' for private chats, 'g:<chatId>' for groups. */
  key: string;
  chat: TgChat;
  members: Map<number, MemberStatus>;
  messages: Map<number, TgMessage>;
  nextMessageId: number;
  /** Private chats: the user has pressed Start (sent anything). */
  started: boolean;
  /** The last reply keyboard a bot sent here, shown by the web chat. */
  replyKeyboard?: unknown;
  /** Which bot sent each message (by message id), so bots only edit their own. */
  authors: Map<number, number>;
}

export interface PendingCallback {
  id: string;
  botId: number;
  answer?: CallbackAnswer;
}

const now = () => Math.floor(Date.now() / 1000);

export function botIdFromToken(token: string): number {
  const prefix = /^(\d+):/.exec(token);
  if (prefix) return Number(prefix[1]);
  let hash = 0;
  for (const ch of token) hash = (hash * 31 + ch.charCodeAt(0)) % 2_000_000_000;
  return 1_000_000_000 + hash;
}

export class World {
  readonly bots = new Map<number, BotAccount>();
  readonly users = new Map<number, TgUser>();
  readonly conversations = new Map<string, Conversation>();
  readonly callbacks = new Map<string, PendingCallback>();
  private readonly listeners = new Set<(event: WorldEvent) => void>();
  private nextUserId = 100_000_001;
  private nextGroupSeq = 1;
  private nextCallbackId = 4_000_000_000_000_000_000n;

  constructor(private readonly queueOptions: (bot: () => BotAccount) => UpdateQueueOptions) {}

  // ------------------------------------------------------------ events

  on(listener: (event: WorldEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: WorldEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  // ------------------------------------------------------------ bots and users

  addBot(config: BotConfig): BotAccount {
    const id = botIdFromToken(config.token);
    if (this.bots.has(id)) throw new Error(`two bots share the id ${id}`);
    const bot: BotAccount = {
      token: config.token,
      user: { id, is_bot: true, first_name: config.firstName, username: config.username },
      canReadAllGroupMessages: config.canReadAllGroupMessages ?? true,
      queue: undefined as unknown as UpdateQueue,
      commands: new Map(),
      menuButtons: new Map(),
      description: '',
      shortDescription: '',
    };
    bot.queue = new UpdateQueue(this.queueOptions(() => bot));
    this.bots.set(id, bot);
    this.emit({ type: 'world' });
    return bot;
  }

  botByToken(token: string): BotAccount | undefined {
    const bot = this.bots.get(botIdFromToken(token));
    return bot?.token === token ? bot : undefined;
  }

  /** Picks a bot by id, username or token; the first bot when none is named. */
  resolveBot(ref?: string | number): BotAccount {
    if (ref === undefined || ref === '') {
      const first = this.bots.values().next().value;
      if (!first) throw new Error('the emulator has no bots');
      return first;
    }
    for (const bot of this.bots.values()) {
      if (
        bot.user.id === Number(ref) ||
        bot.user.username === String(ref).replace(/^@/, '') ||
        bot.token === ref
      ) {
        return bot;
      }
    }
    throw new Error(`unknown bot ${String(ref)}`);
  }

  createUser(input: NewUser): TgUser {
    const id = input.id ?? this.nextUserId++;
    if (this.users.has(id) || this.bots.has(id)) throw new Error(`user id ${id} is taken`);
    const user: TgUser = { id, is_bot: false, first_name: input.first_name };
    if (input.last_name) user.last_name = input.last_name;
    if (input.username) user.username = input.username;
    user.language_code = input.language_code ?? 'en';
    this.users.set(id, user);
    this.emit({ type: 'world' });
    return user;
  }

  requireUser(userId: number): TgUser {
    const user = this.users.get(userId);
    if (!user) throw new Error(`unknown user ${userId}`);
    return user;
  }

  // ------------------------------------------------------------ chats

  privateConversation(bot: BotAccount, userId: number): Conversation {
    const key = `p:${bot.user.id}:${userId}`;
    let conv = this.conversations.get(key);
    if (!conv) {
      const user = this.requireUser(userId);
      const chat: TgChat = { id: user.id, type: 'private', first_name: user.first_name };
      if (user.last_name) chat.last_name = user.last_name;
      if (user.username) chat.username = user.username;
      conv = {
        key,
        chat,
        members: new Map<number, MemberStatus>([
          [user.id, 'member'],
          [bot.user.id, 'member'],
        ]),
        messages: new Map(),
        nextMessageId: 1,
        started: false,
        authors: new Map(),
      };
      this.conversations.set(key, conv);
    }
    return conv;
  }

  createGroup(input: {
    title: string;
    members?: number[];
    admins?: number[];
    creator?: number;
    type?: Exclude<ChatType, 'private'>;
    username?: string;
  }): TgChat {
    const type = input.type ?? 'supergroup';
    const seq = this.nextGroupSeq++;
    const id = type === 'supergroup' ? -(1_000_000_000_000 + seq) : -(4_000_000 + seq);
    const chat: TgChat = { id, type, title: input.title };
    if (input.username && type === 'supergroup') chat.username = input.username;
    const admins = input.admins ?? [];
    const everyone = [
      ...new Set([...(input.creator ? [input.creator] : []), ...admins, ...(input.members ?? [])]),
    ];
    const creator = input.creator ?? admins[0] ?? everyone[0];
    const members = new Map<number, MemberStatus>();
    for (const userId of everyone) {
      this.requireUser(userId);
      members.set(
        userId,
        userId === creator ? 'creator' : admins.includes(userId) ? 'administrator' : 'member',
      );
    }
    const conv: Conversation = {
      key: `g:${id}`,
      chat,
      members,
      messages: new Map(),
      nextMessageId: 1,
      started: true,
      authors: new Map(),
    };
    this.conversations.set(conv.key, conv);
    this.emit({ type: 'world' });
    return chat;
  }

  /** The conversation a control-side caller means: a group id, or a user id (private chat with `bot`). */
  conversationFor(chatId: number, bot: BotAccount): Conversation {
    if (chatId > 0) return this.privateConversation(bot, chatId);
    const conv = this.conversations.get(`g:${chatId}`);
    if (!conv) throw new Error(`unknown chat ${chatId}`);
    return conv;
  }

  /** The conversation a bot addresses with chat_id, with Telegram's errors when it can't write there. */
  conversationForBot(
    bot: BotAccount,
    chatId: number | string,
    purpose: 'read' | 'write' = 'write',
  ): Conversation {
    let conv: Conversation | undefined;
    if (typeof chatId === 'string') {
      const name = chatId.replace(/^@/, '');
      conv = [...this.conversations.values()].find((c) => c.key.startsWith('g:') && c.chat.username === name);
    } else if (chatId > 0) {
      conv = this.users.has(chatId) ? this.privateConversation(bot, chatId) : undefined;
    } else {
      conv = this.conversations.get(`g:${chatId}`);
    }
    if (!conv) throw badRequest('chat not found');
    checkBotAccess(conv, bot.user.id, purpose);
    return conv;
  }

  chatMember(conv: Conversation, userId: number): Record<string, unknown> {
    const user =
      userId === conv.chat.id
        ? this.users.get(userId)
        : (this.users.get(userId) ?? this.bots.get(userId)?.user);
    if (!user) throw badRequest('user not found');
    const status = conv.members.get(userId) ?? 'left';
    return memberObject(user, status);
  }

  setBotStatus(
    chatId: number,
    status: MemberStatus,
    options: { bot?: string | number; by?: number } = {},
  ): TgMessage | undefined {
    const bot = this.resolveBot(options.bot);
    const conv = this.conversationFor(chatId, bot);
    if (conv.chat.type === 'private') throw new Error('use userBlocksBot for private chats');
    const old = conv.members.get(bot.user.id) ?? 'left';
    const byId = options.by ?? [...conv.members].find(([, s]) => s === 'creator')?.[0];
    const by = byId !== undefined ? this.requireUser(byId) : undefined;
    conv.members.set(bot.user.id, status);
    const from = by ?? bot.user;
    bot.queue.push('my_chat_member', {
      chat: conv.chat,
      from,
      date: now(),
      old_chat_member: memberObject(bot.user, old),
      new_chat_member: memberObject(bot.user, status),
    });
    // Joining also posts a "X added the bot" service message that every bot in the chat sees.
    const wasIn = old === 'member' || old === 'administrator' || old === 'creator';
    const isIn = status === 'member' || status === 'administrator' || status === 'creator';
    let service: TgMessage | undefined;
    if (!wasIn && isIn) service = this.appendMessage(conv, { from, new_chat_members: [bot.user] });
    if (wasIn && !isIn) service = this.appendMessage(conv, { from, left_chat_member: bot.user });
    if (service) this.deliverToBots(conv, service, 'message');
    this.emit({ type: 'world' });
    return service;
  }

  setBlocked(userId: number, blocked: boolean, botRef?: string | number): void {
    const bot = this.resolveBot(botRef);
    const conv = this.privateConversation(bot, userId);
    const old = conv.members.get(bot.user.id) ?? 'member';
    const status: MemberStatus = blocked ? 'kicked' : 'member';
    conv.members.set(bot.user.id, status);
    if (old !== status) {
      bot.queue.push('my_chat_member', {
        chat: conv.chat,
        from: this.requireUser(userId),
        date: now(),
        old_chat_member: memberObject(bot.user, old),
        new_chat_member: memberObject(bot.user, status),
      });
    }
  }

  // ------------------------------------------------------------ messages

  appendMessage(conv: Conversation, fields: Partial<TgMessage>, authorBotId?: number): TgMessage {
    // Key order close to Telegram's: message_id, from, chat, date, then content.
    const { from, chat: _chat, date: _date, message_id: _id, ...content } = fields;
    const ordered: TgMessage = {
      message_id: conv.nextMessageId++,
      ...(from ? { from } : {}),
      chat: conv.chat,
      date: now(),
      ...content,
    };
    conv.messages.set(ordered.message_id, ordered);
    if (authorBotId !== undefined) conv.authors.set(ordered.message_id, authorBotId);
    this.emit({ type: 'message', chatKey: conv.key, message: ordered });
    return ordered;
  }

  /** A message as quoted in reply_to_message: one level deep, like Telegram. */
  quoted(conv: Conversation, messageId: number | undefined): TgMessage | undefined {
    if (messageId === undefined) return undefined;
    const original = conv.messages.get(messageId);
    if (!original) return undefined;
    const { reply_to_message: _nested, ...rest } = original;
    return rest as TgMessage;
  }

  userSends(
    chatId: number,
    userId: number,
    content: UserContent,
    options: { replyTo?: number; bot?: string | number } = {},
  ): TgMessage {
    const user = this.requireUser(userId);
    const bot = this.resolveBot(options.bot);
    const conv = this.conversationFor(chatId, bot);
    if (conv.chat.type === 'private' && chatId !== userId) {
      throw new Error(`user ${userId} can't write in the private chat of user ${chatId}`);
    }
    const status = conv.members.get(userId);
    if (conv.chat.type !== 'private' && (status === undefined || status === 'left' || status === 'kicked')) {
      throw new Error(`user ${userId} is not a member of chat ${chatId}`);
    }
    if (options.replyTo !== undefined && !conv.messages.has(options.replyTo)) {
      throw new Error(`message ${options.replyTo} not found in chat ${chatId}`);
    }
    const fields: Partial<TgMessage> = {
      from: user,
      ...userContentFields(content, (id) => this.requireUser(id)),
    };
    const replyTo = this.quoted(conv, options.replyTo);
    if (replyTo) fields.reply_to_message = replyTo;
    if (conv.chat.type === 'private') conv.started = true;
    const message = this.appendMessage(conv, fields);
    this.deliverToBots(conv, message, 'message', bot);
    return message;
  }

  userEdits(
    chatId: number,
    messageId: number,
    userId: number | undefined,
    text: string,
    options: { bot?: string | number } = {},
  ): TgMessage {
    const bot = this.resolveBot(options.bot);
    const conv = this.conversationFor(chatId, bot);
    const message = conv.messages.get(messageId);
    if (!message) throw new Error(`message ${messageId} not found in chat ${chatId}`);
    if (!message.from || message.from.is_bot || (userId !== undefined && message.from.id !== userId)) {
      throw new Error('users can only edit their own messages');
    }
    if (message.text === undefined) throw new Error('only text messages can be edited');
    const edited: TgMessage = { ...message, text, edit_date: now() };
    const entities = detect(text);
    if (entities && entities.length > 0) edited.entities = entities;
    else delete edited.entities;
    conv.messages.set(messageId, edited);
    this.emit({ type: 'edit', chatKey: conv.key, message: edited });
    this.deliverToBots(conv, edited, 'edited_message', bot);
    return edited;
  }

  /** Sends a user-side update to the bots that would see it (privacy mode applies in groups). */
  deliverToBots(
    conv: Conversation,
    message: TgMessage,
    type: 'message' | 'edited_message',
    privateBot?: BotAccount,
  ): void {
    if (conv.chat.type === 'private') {
      const bot = privateBot ?? this.bots.get(Number(conv.key.split(':')[1]));
      if (bot && conv.members.get(bot.user.id) !== 'kicked') bot.queue.push(type, message);
      return;
    }
    for (const bot of this.bots.values()) {
      const status = conv.members.get(bot.user.id);
      if (status !== 'member' && status !== 'administrator' && status !== 'creator') continue;
      if (message.from?.id === bot.user.id) continue; // bots never get their own messages
      if (status === 'member' && !bot.canReadAllGroupMessages && !privacyModeLets(bot, message)) continue;
      bot.queue.push(type, message);
    }
  }

  pressButton(
    chatId: number,
    messageId: number,
    userId: number,
    button: string,
    options: { bot?: string | number } = {},
  ): ButtonPress {
    const user = this.requireUser(userId);
    const bot = this.resolveBot(options.bot);
    const conv = this.conversationFor(chatId, bot);
    const message = conv.messages.get(messageId);
    if (!message) throw new Error(`message ${messageId} not found in chat ${chatId}`);
    const rows = message.reply_markup?.inline_keyboard ?? [];
    const found = rows
      .flat()
      .find((b) => ('callback_data' in b && b.callback_data === button) || b.text === button);
    if (!found) throw new Error(`message ${messageId} has no button "${button}"`);
    if ('url' in found && found.url) return { kind: 'url', url: found.url };
    if ('web_app' in found && found.web_app) return { kind: 'web_app', url: found.web_app.url };
    if (!('callback_data' in found)) throw new Error(`button "${button}" is not a callback button`);
    const author = this.bots.get(conv.authors.get(messageId) ?? bot.user.id) ?? bot;
    const id = String(this.nextCallbackId++);
    this.callbacks.set(id, { id, botId: author.user.id });
    author.queue.push('callback_query', {
      id,
      from: user,
      message,
      chat_instance: String(Math.abs(conv.chat.id * 7919 + author.user.id)),
      data: found.callback_data,
    });
    return { kind: 'callback', queryId: id };
  }

  history(conv: Conversation): TgMessage[] {
    return [...conv.messages.values()];
  }
}
