// The bot as `npm start` runs it: against the local Bot API emulator and its web chat when BOT_TOKEN is
// unset, against Telegram otherwise. Configured from the environment the launcher passes.

import { startLocalBot } from '@cocoon/bot';
import { logFormatSchema, logLevelSchema, parseEnv } from '@cocoon/shared';
import { createLogger, failStartup, loadOrExit } from '@cocoon/shared/node';
import { z } from 'zod';

const env = loadOrExit('cocoon-bot', () =>
  parseEnv(
    z.object({
      COCOON_PROXY_URL: z.string().url().optional(),
      MINIAPP_URL: z.string().url().optional(),
      EMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
      LOG_LEVEL: logLevelSchema.default('info'),
      LOG_FORMAT: logFormatSchema.default('json'),
    }),
    process.env,
    { service: 'bot' },
  ),
);
const log = createLogger({ name: 'cocoon-bot', level: env.LOG_LEVEL, format: env.LOG_FORMAT });
const bot = await startLocalBot({
  proxyUrl: env.COCOON_PROXY_URL,
  miniAppUrl: env.MINIAPP_URL,
  emulatorPort: env.EMULATOR_PORT,
  log,
}).catch((err: Error) => failStartup('cocoon-bot', `could not start: ${err.message}`));
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => void bot.stop().then(() => process.exit(0)));
}
