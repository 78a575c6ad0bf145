// `npm run bot`: the Cocoon bot against Telegram (or TELEGRAM_API_ROOT), configured from the environment.
import pino from 'pino';
import { loadBotConfig } from './config';
import { startBot } from './run';

let config: ReturnType<typeof loadBotConfig>;
try {
  config = loadBotConfig();
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
const log = pino({ name: 'cocoon-bot', level: config.LOG_LEVEL });
const running = await startBot(config, { log });
log.info({ proxy: config.COCOON_PROXY_URL, mode: config.BOT_MODE }, 'bot ready');

let stopping = false;
const shutdown = () => {
  if (stopping) return;
  stopping = true;
  void running.stop().then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
