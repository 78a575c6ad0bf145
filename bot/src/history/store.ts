// The bot's side of the proxy's chat-history routes: seals before storing, opens after listing. Calls go
// through the shared client's typed chat-history methods.
import { ApiError, createCocoonClient } from '@cocoon/shared';
import { type HistoryText, historyKey, openMessage, sealMessage } from './seal';

export interface HistoryMessage extends HistoryText {
  messageId: number;
  senderId: string | null;
  date: number;
}

/** A message as the bot stores it: a Telegram sender id (null: none), before sealing. */
export interface NewHistoryMessage extends HistoryText {
  messageId: number;
  senderId: number | null;
  date: number;
}

export interface HistoryStore {
  append(chatId: number, m: NewHistoryMessage, edit?: boolean): Promise<void>;
  list(chatId: number, opts: { limit: number; fromMessageId?: number }): Promise<HistoryMessage[]>;
  forget(chatId: number): Promise<number>;
}

export class HistoryError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HistoryError';
  }
}

export function createHistoryStore(opts: {
  proxyUrl: string;
  serviceKey: string;
  historyKey: string;
  fetch?: typeof fetch;
}): HistoryStore & { undecryptable: number } {
  const key = historyKey(opts.historyKey);
  // The bot's own routes: the service key for no user.
  const client = createCocoonClient({
    baseUrl: opts.proxyUrl,
    auth: { kind: 'service', key: opts.serviceKey },
    fetch: opts.fetch,
  });

  /** Runs a chat-history call; a refusal becomes a HistoryError with the status. */
  async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof ApiError)
        throw new HistoryError(err.status, `chat history ${what} failed with ${err.status}`);
      throw err;
    }
  }

  const store = {
    /** Rows that didn't open (another key, tampering); skipped, counted for the logs. */
    undecryptable: 0,
    async append(chatId: number, m: NewHistoryMessage, edit = false) {
      await call('POST', () =>
        client.appendChatMessage(chatId, {
          messageId: m.messageId,
          senderId: m.senderId === null ? null : String(m.senderId),
          sealed: sealMessage(key, chatId, m.messageId, {
            author: m.author,
            text: m.text,
            replyTo: m.replyTo,
          }),
          date: m.date,
          edit,
        }),
      );
    },
    async list(chatId: number, o: { limit: number; fromMessageId?: number }) {
      const { messages } = await call('GET', () =>
        client.chatMessages(chatId, { limit: o.limit, fromMessageId: o.fromMessageId }),
      );
      const out: HistoryMessage[] = [];
      for (const r of messages) {
        try {
          out.push({
            ...openMessage(key, chatId, r.messageId, r.sealed),
            messageId: r.messageId,
            senderId: r.senderId,
            date: r.date,
          });
        } catch {
          store.undecryptable++;
        }
      }
      return out;
    },
    async forget(chatId: number) {
      return (await call('DELETE', () => client.forgetChat(chatId))).deleted;
    },
  };
  return store;
}
