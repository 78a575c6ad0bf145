// Manual use: npm run emulator -- --port 8081 --token 123:ABC [--username my_bot] [--no-demo]
// Then point the bot at apiRoot http://127.0.0.1:8081 and open the same address in a browser.
import { parseArgs } from 'node:util';
import pino from 'pino';
import { z } from 'zod';
import { defaultBot, startBotApiEmulator } from './index';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8081' },
    host: { type: 'string', default: '127.0.0.1' },
    token: { type: 'string', default: defaultBot.token },
    username: { type: 'string', default: defaultBot.username },
    name: { type: 'string', default: defaultBot.firstName },
    'no-demo': { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
    throttle: { type: 'boolean', default: false },
  },
});

const config = z
  .object({
    port: z.coerce.number().int().min(0).max(65535),
    host: z.string().min(1),
    token: z.string().regex(/^\d+:[\w-]+$/, 'token must look like 123456:ABC-def'),
    username: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{3,31}$/, 'username must be 4-32 letters, digits or _'),
    name: z.string().min(1),
  })
  .safeParse(values);
if (!config.success) {
  const issue = config.error.issues[0];
  console.error(`bad --${String(issue.path[0])}: ${issue.message}`);
  process.exit(2);
}

const logger = pino({ name: 'bot-api-emulator' });
const emulator = await startBotApiEmulator({
  port: config.data.port,
  host: config.data.host,
  bots: [{ token: config.data.token, username: config.data.username, firstName: config.data.name }],
  demo: !values['no-demo'],
  strictUrls: values.strict,
  throttle: values.throttle,
  logger,
});
logger.info({ url: emulator.url, apiRoot: emulator.url, webChat: `${emulator.url}/` }, 'emulator_ready');

const shutdown = () => {
  void emulator.close().then(() => process.exit(0));
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
