// The web chat page and the /_emulator HTTP control API, driven as a browser or another process would.
import { createHmac } from 'node:crypto';
import { Bot } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startBotApiEmulator, type TgMessage } from './index';

const token = '7000301:control-test-token';
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startBotApiEmulator({
    bots: [{ token, username: 'control_bot', firstName: 'Control' }],
    demo: true,
  });
});
afterAll(async () => {
  await emulator.close();
});

const control = async <T>(
  path: string,
  init?: { method?: string; body?: unknown },
): Promise<{ status: number; body: T }> => {
  const res = await fetch(`${emulator.url}/_emulator${path}`, {
    method: init?.method ?? (init?.body ? 'POST' : 'GET'),
    ...(init?.body
      ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.body) }
      : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
};

describe('web chat', () => {
  it('serves a self-contained page at /', async () => {
    const res = await fetch(`${emulator.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('<title>Cocoon · local Telegram</title>');
    expect(html).toContain("new EventSource('/_emulator/events')");
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)=["']https?:/); // no external assets
  });

  it('streams world events over SSE', async () => {
    const controller = new AbortController();
    const res = await fetch(`${emulator.url}/_emulator/events`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    await reader.read(); // ": connected"
    const alice = (await control<{ users: { id: number; first_name: string }[] }>('/state')).body.users[0];
    emulator.userSends(alice.id, alice.id, 'over sse');
    let received = '';
    for (let i = 0; i < 20 && !received.includes('over sse'); i++) {
      const chunk = await reader.read();
      if (chunk.done) break;
      received += new TextDecoder().decode(chunk.value);
    }
    expect(received).toContain('"type":"message"');
    controller.abort();
  });
});

describe('/_emulator control API', () => {
  it('exposes the demo world', async () => {
    const { body } = await control<{
      bots: { username: string }[];
      users: { first_name: string }[];
      chats: { chat: { type: string; title?: string }; members: { status: string }[] }[];
    }>('/state');
    expect(body.bots.map((b) => b.username)).toEqual(['control_bot']);
    expect(body.users.map((u) => u.first_name)).toEqual(['Alice', 'Bob', 'Carol']);
    const group = body.chats.find((c) => c.chat.type === 'supergroup');
    expect(group?.chat.title).toBe('Cocoon demo group');
    expect(group?.members.map((m) => m.status).sort()).toEqual(['creator', 'member', 'member', 'member']);
  });

  it('creates users and groups, sends, edits and presses buttons while a grammY bot answers', async () => {
    const bot = new Bot(token, { client: { apiRoot: emulator.url } });
    bot.command('menu', (ctx) =>
      ctx.reply('Pick one', { reply_markup: { inline_keyboard: [[{ text: 'Yes', callback_data: 'yes' }]] } }),
    );
    bot.callbackQuery('yes', (ctx) => ctx.answerCallbackQuery({ text: 'You said yes' }));
    bot.on('edited_message', (ctx) => ctx.reply(`you edited to ${ctx.editedMessage.text}`));
    await new Promise<void>((resolve) => {
      void bot.start({ timeout: 5, onStart: () => resolve() });
    });
    try {
      const user = (
        await control<{ id: number }>('/users', { body: { first_name: 'Dora', username: 'dora_x' } })
      ).body;
      const other = (await control<{ id: number }>('/users', { body: { first_name: 'Eve' } })).body;
      const group = (
        await control<{ id: number; type: string }>('/groups', {
          body: { title: 'Control group', admins: [user.id], members: [other.id] },
        })
      ).body;
      expect(group.type).toBe('supergroup');
      expect((await control(`/chats/${group.id}/bot`, { body: { status: 'member' } })).status).toBe(200);

      const sent = (
        await control<TgMessage>(`/chats/${group.id}/messages`, { body: { userId: other.id, text: '/menu' } })
      ).body;
      expect(sent.entities).toEqual([{ type: 'bot_command', offset: 0, length: 5 }]);
      const reply = (
        await control<TgMessage>(`/chats/${group.id}/bot-message?after=${sent.message_id}&contains=Pick`)
      ).body;
      expect(reply.text).toBe('Pick one');

      const press = (
        await control<{ kind: string; queryId: string }>(
          `/chats/${group.id}/messages/${reply.message_id}/press`,
          {
            body: { userId: other.id, button: 'Yes' },
          },
        )
      ).body;
      expect(press.kind).toBe('callback');
      expect((await control(`/callbacks/${press.queryId}/answer`)).body).toEqual({ text: 'You said yes' });

      const mine = (
        await control<TgMessage>(`/chats/${group.id}/messages`, { body: { userId: user.id, text: 'typo' } })
      ).body;
      const edit = await control<TgMessage>(`/chats/${group.id}/messages/${mine.message_id}`, {
        method: 'PATCH',
        body: { text: 'fixed', userId: user.id },
      });
      expect(edit.body).toMatchObject({ text: 'fixed', message_id: mine.message_id });
      const editReply = await control<TgMessage>(
        `/chats/${group.id}/bot-message?after=${mine.message_id}&contains=edited`,
      );
      expect(editReply.body.text).toBe('you edited to fixed');

      const history = (await control<TgMessage[]>(`/chats/${group.id}/messages`)).body;
      expect(history.map((m) => m.text ?? (m.new_chat_members ? 'joined' : '?'))).toEqual([
        'joined',
        '/menu',
        'Pick one',
        'fixed',
        'you edited to fixed',
      ]);
      expect((await control(`/chats/${group.id}/messages?onlyBot=1`)).body).toHaveLength(2);
      expect((await control(`/chats/${group.id}/bot-message?after=999&timeoutMs=50`)).status).toBe(408);
    } finally {
      await bot.stop();
    }
  });

  it('validates bodies and injects failures over HTTP', async () => {
    expect((await control('/users', { body: { first_name: '' } })).status).toBe(400);
    expect((await control('/chats/-1/messages', { body: { userId: 1, text: 'x' } })).status).toBe(400);
    expect((await control('/nope')).status).toBe(404);
    await control('/fail-next', {
      body: {
        method: 'getMe',
        error_code: 429,
        description: 'Too Many Requests: retry after 3',
        retry_after: 3,
      },
    });
    const res = await fetch(`${emulator.url}/bot${token}/getMe`);
    expect(res.status).toBe(429);
    expect(await res.json()).toMatchObject({ error_code: 429, parameters: { retry_after: 3 } });
    const calls = (await control<{ method: string }[]>('/calls?method=getMe')).body;
    expect(calls.length).toBeGreaterThan(0);
  });

  it('signs Mini App launch data with the bot token', async () => {
    const alice = (await control<{ users: { id: number }[] }>('/state')).body.users[0];
    const { body } = await control<{ url: string }>(
      `/webapp-url?url=${encodeURIComponent('http://127.0.0.1:5173/')}&userId=${alice.id}`,
    );
    const launch = new URLSearchParams(new URL(body.url).hash.slice(1));
    const initData = new URLSearchParams(launch.get('tgWebAppData') ?? '');
    const hash = initData.get('hash');
    initData.delete('hash');
    const check = [...initData]
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join('\n');
    const secret = createHmac('sha256', 'WebAppData').update(token).digest();
    expect(createHmac('sha256', secret).update(check).digest('hex')).toBe(hash);
    expect(JSON.parse(initData.get('user') ?? '{}')).toMatchObject({ id: alice.id, first_name: 'Alice' });
  });
});
