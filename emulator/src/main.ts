// Manual use: npm run emulator -- --port 8081 --token 123:ABC [--username my_bot] [--no-demo]
// Then point the bot at apiRoot http://127.0.0.1:8081 and open the same address in a browser.
import { createLogger, EXIT_BAD_CONFIG, failStartup, parseFlags } from '@cocoon/shared/node';
import { z } from 'zod';
import { defaultBot, startBotApiEmulator } from './index';

const USAGE = `Usage: npm run emulator -- [--port 8081] [--host 127.0.0.1] [--token 123:ABC] [--username my_bot]
                             [--name "My bot"] [--no-demo] [--strict] [--throttle]`;

const parsed = parseFlags({
  argv: process.argv.slice(2),
  flags: {
    port: { flag: 'port' },
    host: { flag: 'host' },
    token: { flag: 'token' },
    username: { flag: 'username' },
    name: { flag: 'name' },
    noDemo: { flag: 'no-demo', boolean: true },
    strict: { flag: 'strict', boolean: true },
    throttle: { flag: 'throttle', boolean: true },
  },
  schema: z.object({
    port: z.coerce.number().int().min(0).max(65535).default(8081),
    host: z.string().min(1).default('127.0.0.1'),
    token: z
      .string()
      .regex(/^\d+:[\w-]+$/, 'token must look like 123456:ABC-def')
      .default(defaultBot.token),
    username: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]{3,31}$/, 'username must be 4-32 letters, digits or _')
      .default(defaultBot.username),
    name: z.string().min(1).default(defaultBot.firstName),
    noDemo: z.boolean().default(false),
    strict: z.boolean().default(false),
    throttle: z.boolean().default(false),
  }),
});
if (parsed.kind === 'help') {
  console.log(USAGE);
  process.exit(0);
}
if (parsed.kind === 'error')
  failStartup('bot-api-emulator', `${parsed.message}\n\n${USAGE}`, EXIT_BAD_CONFIG);
const config = parsed.config;

const logger = createLogger({ name: 'bot-api-emulator' });
const emulator = await startBotApiEmulator({
  port: config.port,
  host: config.host,
  bots: [{ token: config.token, username: config.username, firstName: config.name }],
  demo: !config.noDemo,
  strictUrls: config.strict,
  throttle: config.throttle,
  logger,
});
logger.info({ url: emulator.url, apiRoot: emulator.url, webChat: `${emulator.url}/` }, 'emulator_ready');

const shutdown = () => {
  void emulator.close().then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
