// The bot's sealed chat history (for /summarize): ciphertext the proxy stores and can't read.
import { z } from 'zod';
import { b64 } from '../schemas/common';
import { trustTier } from './attestation';
import { listOf, route } from './route';

const telegramChatId = /^-?\d{1,20}$/;

export const chatParams = z.object({
  chatId: z.string().regex(telegramChatId, 'must be a Telegram chat id'),
});

export const appendChatMessageRequest = z.object({
  messageId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  senderId: z.string().regex(telegramChatId).nullable().default(null),
  /** base64 of the bot's sealed message; 4,096 characters of text sealed stay far below this. */
  sealed: b64.min(1).max(64_000),
  /** Telegram's message date, Unix seconds. */
  date: z.number().int().positive().max(4_102_444_800),
  edit: z.boolean().default(false),
});
export type AppendChatMessageRequest = z.input<typeof appendChatMessageRequest>;

export const listChatMessagesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
  fromMessageId: z.coerce.number().int().positive().optional(),
});
export type ListChatMessagesQuery = z.input<typeof listChatMessagesQuery>;

export const storedChatMessage = z.strictObject({
  messageId: z.number().int().positive(),
  senderId: z.string().nullable(),
  sealed: z.string(),
  date: z.number().int(),
});
export type StoredChatMessage = z.infer<typeof storedChatMessage>;

export const chatSettingsView = z.strictObject({ minTrust: trustTier });
export type ChatSettingsView = z.infer<typeof chatSettingsView>;

export const chatHistoryRoutes = {
  /** 201 when stored, 200 when an edit of a message never stored was dropped. */
  appendChatMessage: route({
    method: 'POST',
    path: '/v1/chat-history/:chatId/messages',
    request: { params: chatParams, body: appendChatMessageRequest },
    response: z.strictObject({ stored: z.boolean() }),
    status: [200, 201],
  }),
  chatMessages: route({
    method: 'GET',
    path: '/v1/chat-history/:chatId/messages',
    request: { params: chatParams, query: listChatMessagesQuery },
    response: listOf('messages', storedChatMessage),
  }),
  /** A chat's settings the bot keeps on the proxy, so they outlive a restart: its trust tier (/trust). */
  chatSettings: route({
    method: 'GET',
    path: '/v1/chat-settings/:chatId',
    request: { params: chatParams },
    response: chatSettingsView,
  }),
  setChatSettings: route({
    method: 'PUT',
    path: '/v1/chat-settings/:chatId',
    request: { params: chatParams, body: chatSettingsView },
    response: chatSettingsView,
  }),
  forgetChat: route({
    method: 'DELETE',
    path: '/v1/chat-history/:chatId',
    request: { params: chatParams },
    response: z.strictObject({ deleted: z.number().int().nonnegative() }),
  }),
} as const;
