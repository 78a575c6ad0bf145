// Plain data shapes of the emulator's world, in Telegram's JSON field names so they can be sent
// to a bot as-is. Deliberately looser than grammY's types: the emulator builds these objects.
import type { BotCommand, InlineKeyboardMarkup, MessageEntity } from 'grammy/types';

export interface TgUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

/** A user the test side creates (createUser); the id is picked when absent. */
export interface NewUser {
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
  id?: number;
}

export type ChatType = 'private' | 'group' | 'supergroup';

export interface TgChat {
  id: number;
  type: ChatType;
  title?: string;
  username?: string;
  first_name?: string;
  last_name?: string;
}

export type MemberStatus = 'creator' | 'administrator' | 'member' | 'left' | 'kicked';

export interface PhotoSize {
  file_id: string;
  file_unique_id: string;
  width: number;
  height: number;
  file_size?: number;
}

export interface TgMessage {
  message_id: number;
  from?: TgUser;
  chat: TgChat;
  date: number;
  edit_date?: number;
  text?: string;
  entities?: MessageEntity[];
  caption?: string;
  caption_entities?: MessageEntity[];
  photo?: PhotoSize[];
  sticker?: Record<string, unknown>;
  document?: Record<string, unknown>;
  forward_origin?: Record<string, unknown>;
  reply_to_message?: TgMessage;
  reply_markup?: InlineKeyboardMarkup;
  new_chat_members?: TgUser[];
  left_chat_member?: TgUser;
  group_chat_created?: true;
  link_preview_options?: Record<string, unknown>;
  [key: string]: unknown;
}

/** What pressing an inline button did: a callback query went to the bot, or a link / Web App to open. */
export type ButtonPress = { kind: 'callback'; queryId: string } | { kind: 'url' | 'web_app'; url: string };

export type Update = { update_id: number } & Record<string, unknown>;

export interface BotConfig {
  token: string;
  username: string;
  firstName: string;
  /** Privacy mode off. Telegram's default is on (false); the emulator defaults to true so bots see group chatter. */
  canReadAllGroupMessages?: boolean;
}

export type { BotCommand, InlineKeyboardMarkup, MessageEntity };

/** Something happened that a test waiter or the web chat may care about. */
export type WorldEvent =
  | { type: 'message'; chatKey: string; message: TgMessage }
  | { type: 'edit'; chatKey: string; message: TgMessage }
  | { type: 'delete'; chatKey: string; messageId: number }
  | { type: 'chat_action'; chatKey: string; action: string; botId: number }
  | { type: 'callback_answer'; queryId: string; answer: CallbackAnswer }
  | { type: 'world' }
  /** A Bot API request arrived (not sent to the web chat). */
  | { type: 'api_call'; method: string; botId: number };

export interface CallbackAnswer {
  text?: string;
  show_alert?: boolean;
  url?: string;
  cache_time?: number;
}
