// Local use without Telegram, for the `npm start` launcher: with no BOT_TOKEN, start the Bot API emulator
// (demo users and a demo group, web chat at its address) and run the bot against it by long polling.
// With BOT_TOKEN set, run the bot against Telegram (or TELEGRAM_API_ROOT) instead.
import type { Emulator } from '@cocoon/emulator';
import { LOCAL_BOT_TOKEN, loadBotConfig } from './config';
import type { BotDeps, Logger } from './deps';
import { type RunningBot, startBot } from './run';

export interface LocalBotOptions {
  /** The proxy's address (default COCOON_PROXY_URL or http://127.0.0.1:8080). */
  proxyUrl?: string;
  /** The Mini App's address (default MINIAPP_URL or the proxy's address). */
  miniAppUrl?: string;
  /** The emulator's port (default 8081; 0 picks a free one). */
  emulatorPort?: number;
  env?: Record<string, string | undefined>;
  log?: Logger;
}

export interface LocalBot {
  running: RunningBot;
  /** Set when the emulator was started: its Bot API root and web chat (open it in a browser). */
  emulator?: Emulator;
  webChatUrl?: string;
  stop(): Promise<void>;
}

export async function startLocalBot(opts: LocalBotOptions = {}): Promise<LocalBot> {
  const env = { ...(opts.env ?? process.env) };
  if (opts.proxyUrl) env.COCOON_PROXY_URL = opts.proxyUrl;
  if (opts.miniAppUrl) env.MINIAPP_URL = opts.miniAppUrl;
  else if (!env.MINIAPP_URL && env.COCOON_PROXY_URL)
    env.MINIAPP_URL = `${env.COCOON_PROXY_URL.replace(/\/$/, '')}/`;

  if (env.BOT_TOKEN) {
    const running = await startBot(loadBotConfig(env), { log: opts.log });
    return { running, stop: () => running.stop() };
  }

  const { startBotApiEmulator } = await import('@cocoon/emulator');
  const emulator = await startBotApiEmulator({
    port: opts.emulatorPort ?? 8081,
    demo: true,
    bots: [{ token: LOCAL_BOT_TOKEN, username: 'cocoon_local_bot', firstName: 'Cocoon' }],
    logger: opts.log,
  });
  try {
    const config = loadBotConfig({
      ...env,
      BOT_TOKEN: LOCAL_BOT_TOKEN,
      TELEGRAM_API_ROOT: emulator.url,
      BOT_MODE: 'polling',
      COCOON_LOCAL: 'true',
    });
    const running = await startBot(config, { log: opts.log } satisfies Partial<BotDeps>);
    opts.log?.info({ webChat: `${emulator.url}/` }, 'local bot ready: open the web chat');
    return {
      running,
      emulator,
      webChatUrl: `${emulator.url}/`,
      stop: async () => {
        await running.stop();
        await emulator.close();
      },
    };
  } catch (err) {
    await emulator.close();
    throw err;
  }
}
