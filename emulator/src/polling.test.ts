// grammY against the emulator in long-polling mode: the real Bot, the real HTTP client.
import { Bot } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startBotApiEmulator } from './index';

const token = '7000001:polling-test-token';
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startBotApiEmulator({
    bots: [{ token, username: 'polling_test_bot', firstName: 'Polly' }],
  });
});
afterAll(async () => {
  await emulator.close();
});

const getUpdates = async (params: Record<string, unknown>) => {
  const res = await fetch(`${emulator.url}/bot${token}/getUpdates`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  return (await res.json()) as { ok: boolean; result: { update_id: number; message?: { text?: string } }[] };
};

describe('long polling with grammY', () => {
  it('delivers a user command to the bot and lands the reply in the chat', async () => {
    const alice = emulator.createUser({ first_name: 'Alice', username: 'alice' });
    const bot = new Bot(token, { client: { apiRoot: emulator.url } });
    const seen: { text?: string; entities?: unknown }[] = [];
    bot.command('start', async (ctx) => {
      seen.push({ text: ctx.message?.text, entities: ctx.message?.entities });
      await ctx.reply(`Hello, ${ctx.from?.first_name}! You said ${ctx.match || 'nothing'}.`, {
        reply_markup: { inline_keyboard: [[{ text: 'More', callback_data: 'more' }]] },
      });
    });
    bot.callbackQuery('more', async (ctx) => {
      await ctx.answerCallbackQuery({ text: 'Here is more' });
      await ctx.editMessageText('More text');
    });
    const started = new Promise<void>((resolve) => {
      void bot.start({ timeout: 5, onStart: () => resolve() });
    });
    await started;

    const sent = emulator.userSends(alice.id, alice.id, { text: '/start deep-link' });
    const reply = await emulator.waitForBotMessage(
      alice.id,
      (m) => m.text?.startsWith('Hello') === true,
      5_000,
      {
        after: sent.message_id,
      },
    );
    expect(reply.text).toBe('Hello, Alice! You said deep-link.');
    expect(reply.from?.username).toBe('polling_test_bot');
    expect(seen[0].entities).toEqual([{ type: 'bot_command', offset: 0, length: 6 }]);

    const press = emulator.userPressesButton(alice.id, reply.message_id, alice.id, 'more');
    expect(press.kind).toBe('callback');
    if (press.kind !== 'callback') throw new Error('expected a callback button');
    expect(await emulator.waitForCallbackAnswer(press.queryId)).toEqual({ text: 'Here is more' });
    const edited = await emulator.waitForEdit(alice.id, reply.message_id, (m) => m.text === 'More text');
    expect(edited.reply_markup).toBeUndefined(); // editing text without reply_markup drops the keyboard, as on Telegram

    await bot.stop();
    expect(emulator.history(alice.id).map((m) => m.text)).toEqual(['/start deep-link', 'More text']);
  });

  it('handles /cmd@botname in a group and ignores commands for other bots under privacy mode', async () => {
    const privacyToken = '7000002:privacy-token';
    const local = await startBotApiEmulator({
      bots: [
        { token: privacyToken, username: 'quiet_bot', firstName: 'Quiet', canReadAllGroupMessages: false },
      ],
    });
    try {
      const a = local.createUser({ first_name: 'A' });
      const b = local.createUser({ first_name: 'B' });
      const group = local.createGroup({ title: 'G', admins: [a.id], members: [b.id] });
      local.addBotToChat(group.id);
      const bot = new Bot(privacyToken, { client: { apiRoot: local.url } });
      const memberships: string[] = [];
      bot.on('my_chat_member', (ctx) => {
        memberships.push(ctx.myChatMember.new_chat_member.status);
      });
      bot.command('ping', (ctx) => ctx.reply('pong'));
      bot.on('message:text', (ctx) => ctx.reply(`heard ${ctx.message.text}`));
      await new Promise<void>((resolve) => {
        void bot.start({ timeout: 5, onStart: () => resolve() });
      });
      local.userSends(group.id, b.id, 'just chatting'); // not for the bot: privacy mode hides it
      local.userSends(group.id, b.id, '/ping@other_bot');
      const sent = local.userSends(group.id, b.id, '/ping@quiet_bot');
      expect(sent.entities).toEqual([{ type: 'bot_command', offset: 0, length: 15 }]);
      const reply = await local.waitForBotMessage(group.id, (m) => m.text === 'pong');
      expect(reply.chat.id).toBe(group.id);
      expect(memberships).toEqual(['member']);
      expect(local.botMessages(group.id).map((m) => m.text)).toEqual(['pong']);
      await bot.stop();
    } finally {
      await local.close();
    }
  });
});

describe('getUpdates', () => {
  it('holds a long poll open until an update arrives instead of answering at once', async () => {
    const bob = emulator.createUser({ first_name: 'Bob' });
    const before = emulator.calls('getUpdates').length;
    const poll = getUpdates({ timeout: 30 });
    // The poll is parked: count requests rather than time, and check it has not answered yet.
    let answered = false;
    void poll.then(() => {
      answered = true;
    });
    await emulator.waitUntil(
      () => (emulator.calls('getUpdates').length > before ? true : undefined),
      2_000,
      'the poll',
    );
    expect(answered).toBe(false);
    emulator.userSends(bob.id, bob.id, 'wake up');
    const body = await poll;
    expect(body.ok).toBe(true);
    expect(body.result.map((u) => u.message?.text)).toEqual(['wake up']);
    expect(emulator.calls('getUpdates').length).toBe(before + 1);

    // Confirming with offset removes it; a poll with timeout 1 then ends empty after exactly one request.
    const next = body.result[0].update_id + 1;
    const empty = await getUpdates({ offset: next, timeout: 1 });
    expect(empty.result).toEqual([]);
    expect(emulator.calls('getUpdates').length).toBe(before + 2);
  });

  it('honours limit, negative offsets and allowed_updates', async () => {
    const carol = emulator.createUser({ first_name: 'Carol' });
    for (const text of ['one', 'two', 'three']) emulator.userSends(carol.id, carol.id, text);
    const first = await getUpdates({ limit: 2 });
    expect(first.result.map((u) => u.message?.text)).toEqual(['one', 'two']);
    const last = await getUpdates({ offset: -1 });
    expect(last.result.map((u) => u.message?.text)).toEqual(['three']);
    await getUpdates({ offset: last.result[0].update_id + 1, allowed_updates: ['callback_query'] });
    emulator.userSends(carol.id, carol.id, 'filtered out');
    expect((await getUpdates({})).result).toEqual([]);
    await getUpdates({ allowed_updates: [] }); // back to Telegram's default set
    emulator.userSends(carol.id, carol.id, 'visible');
    expect((await getUpdates({})).result.map((u) => u.message?.text)).toEqual(['visible']);
    const drain = (await getUpdates({})).result;
    await getUpdates({ offset: drain[drain.length - 1].update_id + 1 });
  });

  it('terminates an older long poll with 409 when a newer one arrives', async () => {
    const before = emulator.calls('getUpdates').length;
    const older = getUpdates({ timeout: 30 });
    await emulator.waitUntil(
      () => (emulator.calls('getUpdates').length > before ? true : undefined),
      2_000,
      'poll',
    );
    const newer = getUpdates({});
    const conflict = (await older) as unknown as { ok: boolean; error_code: number; description: string };
    expect(conflict).toEqual({
      ok: false,
      error_code: 409,
      description:
        'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
    });
    expect((await newer).result).toEqual([]);
  });
});
