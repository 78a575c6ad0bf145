// The bot's chat history: sealed rows only (the proxy holds no key for them), with retention per chat by
// count and by age, enforced on every insert and by a periodic prune.
import type { Queryable } from '../db';

export interface ChatHistoryLimits {
  maxMessages: number;
  maxAgeHours: number;
}

export interface StoredMessage {
  messageId: number;
  senderId: string | null;
  sealed: string;
  date: number;
}

interface Row {
  message_id: string | number;
  sender_id: string | null;
  sealed: string;
  sent_at: Date | string;
}

const toView = (r: Row): StoredMessage => ({
  messageId: Number(r.message_id),
  senderId: r.sender_id,
  sealed: r.sealed,
  date: Math.floor(new Date(r.sent_at).getTime() / 1000),
});

/** Stores a message or replaces the sealed text of one already stored (an edit), then trims the chat. */
export async function appendMessage(
  db: Queryable,
  limits: ChatHistoryLimits,
  chatId: string,
  m: { messageId: number; senderId: string | null; sealed: string; date: number; edit: boolean },
): Promise<{ stored: boolean }> {
  const sentAt = new Date(m.date * 1000).toISOString();
  let stored: boolean;
  if (m.edit) {
    const r = await db.query(
      'UPDATE chat_history SET sealed = $3, updated_at = now() WHERE chat_id = $1 AND message_id = $2 RETURNING message_id',
      [chatId, m.messageId, m.sealed],
    );
    stored = r.rows.length > 0;
  } else {
    await db.query(
      `INSERT INTO chat_history (chat_id, message_id, sender_id, sealed, sent_at) VALUES ($1, $2, $3, $4, $5::timestamptz)
       ON CONFLICT (chat_id, message_id) DO UPDATE SET sealed = EXCLUDED.sealed, updated_at = now()`,
      [chatId, m.messageId, m.senderId, m.sealed, sentAt],
    );
    stored = true;
  }
  await trimChat(db, limits, chatId);
  return { stored };
}

/** Keeps the newest `maxMessages` of a chat and nothing older than `maxAgeHours`. */
export async function trimChat(db: Queryable, limits: ChatHistoryLimits, chatId: string): Promise<void> {
  await db.query(
    `DELETE FROM chat_history WHERE chat_id = $1 AND message_id <= (
       SELECT message_id FROM chat_history WHERE chat_id = $1 ORDER BY message_id DESC OFFSET $2 LIMIT 1)`,
    [chatId, limits.maxMessages],
  );
  await db.query("DELETE FROM chat_history WHERE chat_id = $1 AND sent_at < now() - $2 * interval '1 hour'", [
    chatId,
    limits.maxAgeHours,
  ]);
}

/** Drops every row older than the age limit, in all chats. */
export async function pruneExpired(db: Queryable, limits: ChatHistoryLimits): Promise<number> {
  const r = await db.query(
    "DELETE FROM chat_history WHERE sent_at < now() - $1 * interval '1 hour' RETURNING message_id",
    [limits.maxAgeHours],
  );
  return r.rows.length;
}

/** The last `limit` messages of a chat, or the first `limit` from `fromMessageId` on; oldest first. */
export async function listMessages(
  db: Queryable,
  chatId: string,
  opts: { limit: number; fromMessageId?: number },
): Promise<StoredMessage[]> {
  const r =
    opts.fromMessageId === undefined
      ? await db.query<Row>(
          `SELECT message_id, sender_id, sealed, sent_at FROM chat_history WHERE chat_id = $1
           ORDER BY message_id DESC LIMIT $2`,
          [chatId, opts.limit],
        )
      : await db.query<Row>(
          `SELECT message_id, sender_id, sealed, sent_at FROM chat_history WHERE chat_id = $1 AND message_id >= $2
           ORDER BY message_id ASC LIMIT $3`,
          [chatId, opts.fromMessageId, opts.limit],
        );
  const rows = r.rows.map(toView);
  return opts.fromMessageId === undefined ? rows.reverse() : rows;
}

export async function deleteChat(db: Queryable, chatId: string): Promise<number> {
  const r = await db.query('DELETE FROM chat_history WHERE chat_id = $1 RETURNING message_id', [chatId]);
  return r.rows.length;
}

/** A chat's lowest trust tier for its jobs (/trust); 'open' until set. */
export async function chatMinTrust(db: Queryable, chatId: string): Promise<'open' | 'tdx'> {
  const r = await db.query<{ min_trust: 'open' | 'tdx' }>(
    'SELECT min_trust FROM chat_settings WHERE chat_id = $1',
    [chatId],
  );
  return r.rows[0]?.min_trust ?? 'open';
}

export async function setChatMinTrust(
  db: Queryable,
  chatId: string,
  minTrust: 'open' | 'tdx',
): Promise<void> {
  await db.query(
    `INSERT INTO chat_settings (chat_id, min_trust) VALUES ($1, $2)
     ON CONFLICT (chat_id) DO UPDATE SET min_trust = $2, updated_at = now()`,
    [chatId, minTrust],
  );
}
