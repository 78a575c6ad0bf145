// Webhook mode: grammY's webhookCallback behind a real node:http server on loopback.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Bot, webhookCallback } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startBotApiEmulator } from './index';

const token = '7000201:webhook-test-token';
let emulator: Emulator;
let server: Server;
let webhookUrl: string;
const secrets: (string | undefined)[] = [];
let failuresLeft = 0;

beforeAll(async () => {
  emulator = await startBotApiEmulator({
    bots: [{ token, username: 'hook_bot', firstName: 'Hook' }],
    webhookRetryDelayMs: 10,
    webhookMaxAttempts: 3,
  });
  const bot = new Bot(token, { client: { apiRoot: emulator.url } });
  bot.on('message:text', (ctx) => ctx.reply(`echo: ${ctx.message.text}`));
  await bot.init();
  const handle = webhookCallback(bot, 'http', { secretToken: 's3cret' });
  server = createServer((req, res) => {
    secrets.push(req.headers['x-telegram-bot-api-secret-token'] as string | undefined);
    if (failuresLeft > 0) {
      failuresLeft -= 1;
      req.resume();
      res.writeHead(500).end();
      return;
    }
    void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await emulator.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('webhook mode', () => {
  it('delivers updates with the secret token header and the bot replies', async () => {
    const api = new Bot(token, { client: { apiRoot: emulator.url } }).api;
    await api.setWebhook(webhookUrl, { secret_token: 's3cret' });
    expect(await api.getWebhookInfo()).toMatchObject({ url: webhookUrl, pending_update_count: 0 });
    const user = emulator.createUser({ first_name: 'Web' });
    const sent = emulator.userSends(user.id, user.id, 'hello hook');
    const reply = await emulator.waitForBotMessage(user.id, undefined, 5_000, { after: sent.message_id });
    expect(reply.text).toBe('echo: hello hook');
    expect(secrets).toContain('s3cret');
    expect(secrets.every((s) => s === 's3cret')).toBe(true);

    // getUpdates is refused while a webhook is set, as on Telegram.
    const res = await fetch(`${emulator.url}/bot${token}/getUpdates`);
    expect(await res.json()).toEqual({
      ok: false,
      error_code: 409,
      description:
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    });
  });

  it('retries a failed delivery a bounded number of times and records the error', async () => {
    const api = new Bot(token, { client: { apiRoot: emulator.url } }).api;
    const user = emulator.createUser({ first_name: 'Retry' });
    failuresLeft = 2; // two 500s, then success on the third and last attempt
    const sent = emulator.userSends(user.id, user.id, 'flaky');
    const reply = await emulator.waitForBotMessage(user.id, undefined, 5_000, { after: sent.message_id });
    expect(reply.text).toBe('echo: flaky');
    const info = await api.getWebhookInfo();
    expect(info.last_error_message).toBe('Wrong response from the webhook: 500 Internal Server Error');

    failuresLeft = 3; // every attempt fails: the update is dropped, not retried forever
    const before = secrets.length;
    emulator.userSends(user.id, user.id, 'lost');
    await emulator.waitUntil(
      () => (secrets.length >= before + 3 && emulator.bot().queue.pendingCount === 0 ? true : undefined),
      5_000,
      'three attempts',
    );
    expect(secrets.length).toBe(before + 3);

    await api.deleteWebhook();
    expect((await api.getWebhookInfo()).url).toBe('');
  });
});
