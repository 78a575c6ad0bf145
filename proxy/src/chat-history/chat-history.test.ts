// The bot's sealed chat-history routes: service key only, retention by count and age, edits, listing.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProxyServer } from '../app';
import type { Db } from '../db';
import { openTestDb, resetDb, startTestProxy, userAuth } from '../testing/harness';
import { pruneExpired } from './repository';

let db: Db;
let proxy: ProxyServer;
const service = { authorization: 'Service cocoon-local-dev-service-key' };
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  await resetDb(db);
  proxy = await startTestProxy(db, { CHAT_HISTORY_MAX_MESSAGES: '3', CHAT_HISTORY_MAX_AGE_HOURS: '1' });
});
afterEach(async () => {
  await proxy?.close();
});

const append = (chatId: string, body: Record<string, unknown>, headers: Record<string, string> = service) =>
  proxy.app.inject({ method: 'POST', url: `/v1/chat-history/${chatId}/messages`, headers, payload: body });
const list = async (chatId: string, query = '') => {
  const res = await proxy.app.inject({
    method: 'GET',
    url: `/v1/chat-history/${chatId}/messages${query}`,
    headers: service,
  });
  expect(res.statusCode).toBe(200);
  return res.json().messages as Array<{ messageId: number; sealed: string; senderId: string | null }>;
};

describe('chat history routes', () => {
  it('take the service key only and create no user rows', async () => {
    const body = { messageId: 1, senderId: '5', sealed: 'AAAA', date: now() };
    expect((await append('-100', body, {})).statusCode).toBe(401);
    expect((await append('-100', body, { authorization: 'Service wrong-key-wrong-key' })).statusCode).toBe(
      401,
    );
    const tma = userAuth(proxy, 77);
    if (tma.kind !== 'tma') throw new Error('expected tma auth');
    expect((await append('-100', body, { authorization: `tma ${tma.initData}` })).statusCode).toBe(403);
    expect((await append('-100', body)).statusCode).toBe(201);
    expect((await db.query('SELECT id FROM users')).rows).toEqual([]);
    const bad = await append('-100', { ...body, sealed: 'not base64!' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/sealed/);
    expect((await append('abc', body)).statusCode).toBe(400);
  });

  it('keep the newest N per chat, drop old messages, update on edit, list from a message on', async () => {
    for (let id = 1; id <= 5; id++)
      await append('-100', { messageId: id, senderId: '5', sealed: `AAA${id}`, date: now() });
    await append('-200', { messageId: 1, sealed: 'BBBB', date: now() });
    expect((await list('-100')).map((m) => m.messageId)).toEqual([3, 4, 5]);
    expect((await list('-100', '?limit=2')).map((m) => m.messageId)).toEqual([4, 5]);
    expect((await list('-100', '?fromMessageId=4')).map((m) => m.messageId)).toEqual([4, 5]);

    const edit = await append('-100', { messageId: 4, sealed: 'EEEE', date: now(), edit: true });
    expect(edit.json()).toEqual({ stored: true });
    expect((await list('-100')).find((m) => m.messageId === 4)?.sealed).toBe('EEEE');
    const editGone = await append('-100', { messageId: 1, sealed: 'EEEE', date: now(), edit: true });
    expect(editGone.json()).toEqual({ stored: false });

    // Older than the age limit: trimmed on insert, and by the periodic prune.
    await append('-300', { messageId: 1, sealed: 'OOOO', date: now() - 2 * 3600 });
    expect(await list('-300')).toEqual([]);
    await db.query("UPDATE chat_history SET sent_at = now() - interval '2 hours' WHERE chat_id = '-200'");
    expect(await pruneExpired(db, { maxMessages: 3, maxAgeHours: 1 })).toBe(1);
    expect(await list('-200')).toEqual([]);

    const del = await proxy.app.inject({ method: 'DELETE', url: '/v1/chat-history/-100', headers: service });
    expect(del.json()).toEqual({ deleted: 3 });
    expect(await list('-100')).toEqual([]);
  });
});
