// The bot's side of the proxy's chat-history routes: seals before storing, opens after listing.
import { z } from 'zod';
import { type HistoryText, historyKey, openMessage, sealMessage } from './seal';

export interface HistoryMessage extends HistoryText {
  messageId: number;
  senderId: string | null;
  date: number;
}

export interface HistoryStore {
  append(
    chatId: number,
    m: { messageId: number; senderId: number | null; date: number; author: string; text: string },
    edit?: boolean,
  ): Promise<void>;
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

const listResponse = z.object({
  messages: z.array(
    z.object({
      messageId: z.number(),
      senderId: z.string().nullable(),
      sealed: z.string(),
      date: z.number(),
    }),
  ),
});
const deleteResponse = z.object({ deleted: z.number() });

export function createHistoryStore(opts: {
  proxyUrl: string;
  serviceKey: string;
  historyKey: string;
  fetch?: typeof fetch;
}): HistoryStore & { undecryptable: number } {
  const base = opts.proxyUrl.replace(/\/$/, '');
  const key = historyKey(opts.historyKey);
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);

  async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await doFetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Service ${opts.serviceKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new HistoryError(res.status, `chat history ${method} failed with ${res.status}`);
    return text ? JSON.parse(text) : undefined;
  }

  const store = {
    /** Rows that didn't open (another key, tampering); skipped, counted for the logs. */
    undecryptable: 0,
    async append(
      chatId: number,
      m: { messageId: number; senderId: number | null; date: number; author: string; text: string },
      edit = false,
    ) {
      await call('POST', `/v1/chat-history/${chatId}/messages`, {
        messageId: m.messageId,
        senderId: m.senderId === null ? null : String(m.senderId),
        sealed: sealMessage(key, chatId, m.messageId, { author: m.author, text: m.text }),
        date: m.date,
        edit,
      });
    },
    async list(chatId: number, o: { limit: number; fromMessageId?: number }) {
      const q = new URLSearchParams({ limit: String(o.limit) });
      if (o.fromMessageId !== undefined) q.set('fromMessageId', String(o.fromMessageId));
      const { messages } = listResponse.parse(await call('GET', `/v1/chat-history/${chatId}/messages?${q}`));
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
      return deleteResponse.parse(await call('DELETE', `/v1/chat-history/${chatId}`)).deleted;
    },
  };
  return store;
}
