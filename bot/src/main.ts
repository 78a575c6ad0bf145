// `npm run bot`: the Cocoon bot against Telegram (or TELEGRAM_API_ROOT), configured from the environment.
import { createLogger, failStartup, loadOrExit } from '@cocoon/shared/node';
import { loadBotConfig } from './config';
import { startBot } from './run';

const config = loadOrExit('cocoon-bot', () => loadBotConfig());
const log = createLogger({ name: 'cocoon-bot', level: config.LOG_LEVEL, format: config.LOG_FORMAT });
const running = await startBot(config, { log }).catch((err) => failStartup('cocoon-bot', err));
log.info({ proxy: config.COCOON_PROXY_URL, mode: config.BOT_MODE }, 'bot ready');

let stopping = false;
const shutdown = () => {
  if (stopping) return;
  stopping = true;
  void running.stop().then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
