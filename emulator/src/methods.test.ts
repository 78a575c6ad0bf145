// Bot API methods through grammY's Api client: Telegram's limits and its exact error shapes.
import { Api, GrammyError } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startBotApiEmulator, type TgUser } from './index';

const token = '7000101:methods-test-token';
let emulator: Emulator;
let api: Api;
let owner: TgUser;
let admin: TgUser;
let member: TgUser;
let outsider: TgUser;

beforeAll(async () => {
  emulator = await startBotApiEmulator({ bots: [{ token, username: 'methods_bot', firstName: 'Methods' }] });
  api = new Api(token, { apiRoot: emulator.url });
  owner = emulator.createUser({ first_name: 'Owner' });
  admin = emulator.createUser({ first_name: 'Admin' });
  member = emulator.createUser({ first_name: 'Member' });
  outsider = emulator.createUser({ first_name: 'Outsider' });
  emulator.userSends(owner.id, owner.id, '/start');
});
afterAll(async () => {
  await emulator.close();
});

const rawCall = async (path: string, body?: unknown) => {
  const res = await fetch(`${emulator.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const grammyError = async (call: Promise<unknown>): Promise<GrammyError> => {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GrammyError);
  return err as GrammyError;
};

describe('getMe and routing', () => {
  it('answers getMe like Telegram', async () => {
    const me = await api.getMe();
    expect(me).toMatchObject({ id: 7000101, is_bot: true, first_name: 'Methods', username: 'methods_bot' });
  });

  it('answers 404 Not Found to an unknown method and 401 to an unknown token', async () => {
    expect(await rawCall(`/bot${token}/sendTelepathy`)).toEqual({
      status: 404,
      body: { ok: false, error_code: 404, description: 'Not Found' },
    });
    expect(await rawCall('/bot1:wrong/getMe')).toEqual({
      status: 401,
      body: { ok: false, error_code: 401, description: 'Unauthorized' },
    });
  });

  it('accepts case-insensitive method names and GET query parameters', async () => {
    const res = await fetch(`${emulator.url}/bot${token}/SENDMESSAGE?chat_id=${owner.id}&text=via%20GET`);
    const body = (await res.json()) as { ok: boolean; result: { text: string } };
    expect(body.ok).toBe(true);
    expect(body.result.text).toBe('via GET');
  });
});

describe('sendMessage', () => {
  it('accepts 4096 characters and rejects 4097 with "message is too long"', async () => {
    const ok = await api.sendMessage(owner.id, 'x'.repeat(4096));
    expect(ok.text).toHaveLength(4096);
    const err = await grammyError(api.sendMessage(owner.id, 'x'.repeat(4097)));
    expect(err.error_code).toBe(400);
    expect(err.description).toBe('Bad Request: message is too long');
  });

  it('counts the limit after entity parsing', async () => {
    const text = `<b>${'y'.repeat(4096)}</b>`;
    const msg = await api.sendMessage(owner.id, text, { parse_mode: 'HTML' });
    expect(msg.text).toHaveLength(4096);
    expect(msg.entities).toEqual([{ type: 'bold', offset: 0, length: 4096 }]);
  });

  it('rejects empty text and unknown chats', async () => {
    expect((await grammyError(api.sendMessage(owner.id, '   '))).description).toBe(
      'Bad Request: message text is empty',
    );
    expect(
      (await grammyError(api.sendMessage(owner.id, '<b></b>', { parse_mode: 'HTML' }))).description,
    ).toBe('Bad Request: message text is empty');
    expect((await grammyError(api.sendMessage(999, 'hi'))).description).toBe('Bad Request: chat not found');
    const err = await grammyError(api.sendMessage(outsider.id, 'hi'));
    expect(err.error_code).toBe(403);
    expect(err.description).toBe("Forbidden: bot can't initiate conversation with a user");
  });

  it('parses HTML and MarkdownV2 and reports bad markup like Telegram', async () => {
    const html = await api.sendMessage(owner.id, 'Hi <i>there</i> &amp; <a href="https://t.me">link</a>', {
      parse_mode: 'HTML',
    });
    expect(html.text).toBe('Hi there & link');
    expect(html.entities).toEqual([
      { type: 'italic', offset: 3, length: 5 },
      { type: 'text_link', offset: 11, length: 4, url: 'https://t.me' },
    ]);
    const md = await api.sendMessage(owner.id, '*Price:* 1\\.5 TON `code`', { parse_mode: 'MarkdownV2' });
    expect(md.text).toBe('Price: 1.5 TON code');
    expect(md.entities).toEqual([
      { type: 'bold', offset: 0, length: 6 },
      { type: 'code', offset: 15, length: 4 },
    ]);
    expect(
      (await grammyError(api.sendMessage(owner.id, 'Total: 1.5', { parse_mode: 'MarkdownV2' }))).description,
    ).toBe(
      "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'",
    );
    expect((await grammyError(api.sendMessage(owner.id, 'a<br>b', { parse_mode: 'HTML' }))).description).toBe(
      'Bad Request: can\'t parse entities: Unsupported start tag "br" at byte offset 1',
    );
  });

  it('stores inline keyboards with url and web_app buttons, and replies', async () => {
    const first = await api.sendMessage(owner.id, 'first');
    const msg = await api.sendMessage(owner.id, 'Open the app', {
      reply_parameters: { message_id: first.message_id },
      reply_markup: {
        inline_keyboard: [
          [{ text: 'App', web_app: { url: 'https://example.org/app' } }],
          [{ text: 'Site', url: 'https://example.org' }],
        ],
      },
    });
    expect(msg.reply_to_message?.message_id).toBe(first.message_id);
    expect(msg.reply_markup?.inline_keyboard[0][0]).toEqual({
      text: 'App',
      web_app: { url: 'https://example.org/app' },
    });
    const press = emulator.userPressesButton(owner.id, msg.message_id, owner.id, 'App');
    expect(press.kind).toBe('web_app');
    if (press.kind === 'web_app') expect(press.url).toContain('https://example.org/app#tgWebAppData=');
    expect(emulator.userPressesButton(owner.id, msg.message_id, owner.id, 'Site')).toEqual({
      kind: 'url',
      url: 'https://example.org',
    });
    const err = await grammyError(
      api.sendMessage(owner.id, 'x', {
        reply_markup: { inline_keyboard: [[{ text: 'x', callback_data: 'd'.repeat(65) }]] },
      }),
    );
    expect(err.description).toBe('Bad Request: BUTTON_DATA_INVALID');
  });
});

describe('editing', () => {
  it('answers "message is not modified" when nothing changes', async () => {
    const markup = { inline_keyboard: [[{ text: 'A', callback_data: 'a' }]] };
    const msg = await api.sendMessage(owner.id, 'same', { reply_markup: markup });
    const err = await grammyError(
      api.editMessageText(owner.id, msg.message_id, 'same', { reply_markup: markup }),
    );
    expect(err.error_code).toBe(400);
    expect(err.description).toBe(
      'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
    );
    const edited = await api.editMessageText(owner.id, msg.message_id, 'changed', { reply_markup: markup });
    expect(edited).toMatchObject({ text: 'changed', reply_markup: markup });
    expect(typeof (edited as { edit_date?: number }).edit_date).toBe('number');
    const sameMarkup = await grammyError(
      api.editMessageReplyMarkup(owner.id, msg.message_id, { reply_markup: markup }),
    );
    expect(sameMarkup.description).toContain('message is not modified');
    const cleared = await api.editMessageReplyMarkup(owner.id, msg.message_id);
    expect((cleared as { reply_markup?: unknown }).reply_markup).toBeUndefined();
  });

  it('reports missing messages and refuses to edit user messages', async () => {
    expect((await grammyError(api.editMessageText(owner.id, 99_999, 'x'))).description).toBe(
      'Bad Request: message to edit not found',
    );
    const userMessage = emulator.userSends(owner.id, owner.id, 'mine');
    expect((await grammyError(api.editMessageText(owner.id, userMessage.message_id, 'x'))).description).toBe(
      "Bad Request: message can't be edited",
    );
    expect(await api.deleteMessage(owner.id, userMessage.message_id)).toBe(true);
    expect((await grammyError(api.deleteMessage(owner.id, userMessage.message_id))).description).toBe(
      'Bad Request: message to delete not found',
    );
  });
});

describe('injected failures', () => {
  it("returns a 429 with retry_after in Telegram's shape, for the requested number of calls", async () => {
    emulator.failNext(
      'sendMessage',
      { error_code: 429, description: 'Too Many Requests: retry after 1', retry_after: 1 },
      2,
    );
    for (let i = 0; i < 2; i++) {
      const raw = await rawCall(`/bot${token}/sendMessage`, { chat_id: owner.id, text: 'hi' });
      expect(raw).toEqual({
        status: 429,
        body: {
          ok: false,
          error_code: 429,
          description: 'Too Many Requests: retry after 1',
          parameters: { retry_after: 1 },
        },
      });
    }
    const err = await api.sendMessage(owner.id, 'now it works');
    expect(err.text).toBe('now it works');
  });

  it('throttles realistically when asked to', async () => {
    const throttled = await startBotApiEmulator({
      bots: [{ token, username: 'methods_bot', firstName: 'Methods' }],
      throttle: {
        privateChat: { max: 2, windowMs: 60_000 },
        groupChat: { max: 2, windowMs: 60_000 },
        global: { max: 30, windowMs: 1_000 },
      },
    });
    try {
      const u = throttled.createUser({ first_name: 'U' });
      throttled.userSends(u.id, u.id, 'hi');
      const local = new Api(token, { apiRoot: throttled.url });
      await local.sendMessage(u.id, '1');
      await local.sendMessage(u.id, '2');
      const err = await grammyError(local.sendMessage(u.id, '3'));
      expect(err.error_code).toBe(429);
      expect(err.parameters.retry_after).toBeGreaterThan(0);
    } finally {
      await throttled.close();
    }
  });
});

describe('chats and members', () => {
  let groupId: number;
  beforeAll(() => {
    groupId = emulator.createGroup({
      title: 'Team',
      creator: owner.id,
      admins: [admin.id],
      members: [member.id],
    }).id;
  });

  it('answers "chat not found" for a group the bot never joined', async () => {
    expect((await grammyError(api.getChat(groupId))).description).toBe('Bad Request: chat not found');
  });

  it('reports creator, administrator, member and left statuses', async () => {
    emulator.addBotToChat(groupId, 'administrator', { by: owner.id });
    const status = async (userId: number) => (await api.getChatMember(groupId, userId)).status;
    expect(await status(owner.id)).toBe('creator');
    expect(await status(admin.id)).toBe('administrator');
    expect(await status(member.id)).toBe('member');
    expect(await status(outsider.id)).toBe('left');
    expect(await status(7000101)).toBe('administrator');
    expect((await grammyError(api.getChatMember(groupId, 123))).description).toBe(
      'Bad Request: user not found',
    );
    const admins = await api.getChatAdministrators(groupId);
    expect(admins.map((a) => a.user.id).sort()).toEqual([owner.id, admin.id, 7000101].sort());
    const chat = await api.getChat(groupId);
    expect(chat).toMatchObject({ id: groupId, type: 'supergroup', title: 'Team' });
  });

  it('loses access after leaving the chat', async () => {
    expect(await api.leaveChat(groupId)).toBe(true);
    const err = await grammyError(api.sendMessage(groupId, 'hello?'));
    expect(err.error_code).toBe(403);
    expect(err.description).toBe('Forbidden: bot is not a member of the supergroup chat');
  });

  it('rejects web_app buttons outside private chats', async () => {
    const g = emulator.createGroup({ title: 'Apps', admins: [owner.id] });
    emulator.addBotToChat(g.id);
    const err = await grammyError(
      api.sendMessage(g.id, 'open', {
        reply_markup: { inline_keyboard: [[{ text: 'App', web_app: { url: 'https://x.org' } }]] },
      }),
    );
    expect(err.description).toBe('Bad Request: BUTTON_TYPE_INVALID');
  });
});

describe('bot settings', () => {
  it('stores commands per scope and the menu button', async () => {
    await api.setMyCommands([{ command: 'summarize', description: 'Summarize this chat' }]);
    await api.setMyCommands([{ command: 'admin', description: 'Admin' }], {
      scope: { type: 'all_chat_administrators' },
    });
    expect(await api.getMyCommands()).toEqual([{ command: 'summarize', description: 'Summarize this chat' }]);
    expect(await api.getMyCommands({ scope: { type: 'all_chat_administrators' } })).toEqual([
      { command: 'admin', description: 'Admin' },
    ]);
    expect(
      (await grammyError(api.setMyCommands([{ command: 'Bad-Cmd', description: 'x' }]))).description,
    ).toBe('Bad Request: BOT_COMMAND_INVALID');
    await api.deleteMyCommands();
    expect(await api.getMyCommands()).toEqual([]);
    await api.setChatMenuButton({
      menu_button: { type: 'web_app', text: 'Open', web_app: { url: 'https://x.org' } },
    });
    expect(await api.getChatMenuButton()).toEqual({
      type: 'web_app',
      text: 'Open',
      web_app: { url: 'https://x.org' },
    });
    expect(await api.sendChatAction(owner.id, 'typing')).toBe(true);
    expect((await grammyError(api.sendChatAction(owner.id, 'dancing' as 'typing'))).description).toBe(
      'Bad Request: wrong parameter action in request',
    );
  });
});
