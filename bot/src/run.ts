// Starts a bot: commands menu, then long polling (default) or a webhook server with a secret token.
// stop() ends the update source and waits for running jobs.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_HTTP_TIMEOUTS, httpServerOptions } from '@cocoon/shared/node';
import { webhookCallback } from 'grammy';
import type { BotConfig } from './config';
import { COMMANDS, createBot } from './create-bot';
import type { BotDeps } from './deps';

/** pre_checkout_query: Telegram Stars payments (the rest of a payment arrives as messages). */
export const ALLOWED_UPDATES = [
  'message',
  'edited_message',
  'my_chat_member',
  'callback_query',
  'pre_checkout_query',
] as const;

export interface RunningBot {
  bot: ReturnType<typeof createBot>;
  /** The webhook server's address (webhook mode only). */
  webhookListenUrl?: string;
  stop(): Promise<void>;
}

export async function startBot(
  config: BotConfig,
  deps: Partial<BotDeps> = {},
  opts: { pollTimeoutS?: number } = {},
): Promise<RunningBot> {
  const bot = createBot(config, deps);
  await bot.init();
  await bot.api.setMyCommands(COMMANDS);

  if (config.BOT_MODE === 'webhook') {
    const url = new URL(config.WEBHOOK_URL!);
    const handle = webhookCallback(bot, 'http', { secretToken: config.WEBHOOK_SECRET, onTimeout: 'return' });
    // Request deadlines: a webhook body dripped slowly is cut, not held.
    const server: Server = createServer(httpServerOptions(DEFAULT_HTTP_TIMEOUTS), (req, res) => {
      if (req.method === 'POST' && (req.url ?? '').split('?')[0] === url.pathname) {
        void handle(req, res).catch(() => {
          if (!res.headersSent) res.writeHead(500).end();
        });
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.WEBHOOK_PORT, config.WEBHOOK_HOST, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    await bot.api.setWebhook(config.WEBHOOK_URL!, {
      secret_token: config.WEBHOOK_SECRET,
      allowed_updates: ALLOWED_UPDATES,
    });
    bot.deps.log.info({ mode: 'webhook', port }, 'bot started');
    return {
      bot,
      webhookListenUrl: `http://${config.WEBHOOK_HOST}:${port}${url.pathname}`,
      stop: async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await bot.deps.tasks.drain();
      },
    };
  }

  await bot.api.deleteWebhook();
  const started = new Promise<void>((resolve, reject) => {
    bot
      .start({
        timeout: opts.pollTimeoutS ?? 30,
        allowed_updates: ALLOWED_UPDATES,
        onStart: () => resolve(),
      })
      .catch(reject);
  });
  await started;
  bot.deps.log.info({ mode: 'polling', username: bot.botInfo.username }, 'bot started');
  return {
    bot,
    stop: async () => {
      await bot.stop();
      await bot.deps.tasks.drain();
    },
  };
}
