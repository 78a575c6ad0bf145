// The bot's sealed chat history (service key, for no user); answers are checked against the contract.
import { API_ROUTES as CONTRACT } from '../contract/api';
import type { ChatSettingsView, ListChatMessagesQuery } from '../contract/chat-history';
import type { BodyOf } from '../contract/route';
import type { ClientHttp } from './http';

export function chatHistoryMethods({ call }: ClientHttp) {
  return {
    appendChatMessage: async (chatId: number | string, body: BodyOf<typeof CONTRACT.appendChatMessage>) =>
      CONTRACT.appendChatMessage.response.parse(
        await call(CONTRACT.appendChatMessage, { params: { chatId }, body }),
      ),
    chatMessages: async (chatId: number | string, query: ListChatMessagesQuery) =>
      CONTRACT.chatMessages.response.parse(
        await call(CONTRACT.chatMessages, {
          params: { chatId },
          query: {
            limit: query.limit as number | undefined,
            fromMessageId: query.fromMessageId as number | undefined,
          },
        }),
      ),
    chatSettings: async (chatId: number | string) =>
      CONTRACT.chatSettings.response.parse(await call(CONTRACT.chatSettings, { params: { chatId } })),
    setChatSettings: async (chatId: number | string, body: ChatSettingsView) =>
      CONTRACT.setChatSettings.response.parse(
        await call(CONTRACT.setChatSettings, { params: { chatId }, body }),
      ),
    forgetChat: async (chatId: number | string) =>
      CONTRACT.forgetChat.response.parse(await call(CONTRACT.forgetChat, { params: { chatId } })),
  };
}
