// `npm run check`: checks a production configuration before start, from the environment (one env for the
// proxy and the bot, as a deployment's secrets usually are). `--proxy` or `--bot` checks only one of them.
// Exit code 0 when every check passes, 1 otherwise; one line per check.
import { loadBotConfig } from '@cocoon/bot';
import { type CheckLine, formatChecks, problemLines, runChecks } from '@cocoon/proxy';

const only = process.argv.includes('--proxy') ? 'proxy' : process.argv.includes('--bot') ? 'bot' : undefined;
const lines: CheckLine[] = [];
if (only !== 'bot') {
  console.log('proxy');
  const proxy = await runChecks(process.env);
  console.log(formatChecks(proxy));
  lines.push(...proxy);
}
if (only !== 'proxy') {
  console.log('bot');
  let bot: CheckLine[];
  try {
    const c = loadBotConfig(process.env);
    bot = [
      {
        ok: true,
        name: 'configuration',
        detail: `every bot variable is valid (${c.BOT_MODE}, ${c.MINIAPP_URL})`,
      },
    ];
  } catch (err) {
    bot = problemLines(err);
  }
  console.log(formatChecks(bot));
  lines.push(...bot);
}
process.exit(lines.every((l) => l.ok) ? 0 : 1);
