// The bot as `npm start` runs it: against the local Bot API emulator and its web chat when BOT_TOKEN is
// unset, against Telegram otherwise. Configured from the environment the launcher passes.

import { startLocalBot } from '@cocoon/bot';
import pino from 'pino';

const log = pino({ name: 'cocoon-bot', level: process.env.LOG_LEVEL ?? 'info' });
const bot = await startLocalBot({
  proxyUrl: process.env.COCOON_PROXY_URL,
  miniAppUrl: process.env.MINIAPP_URL,
  emulatorPort: Number(process.env.EMULATOR_PORT ?? 8081),
  log,
}).catch((err: Error) => {
  console.error(`the bot could not start: ${err.message}`);
  process.exit(1);
});
if (bot.webChatUrl) log.info(`chat with the bot at ${bot.webChatUrl}`);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => void bot.stop().then(() => process.exit(0)));
}
