// /start, /balance, /price and /help: what Cocoon is, the sender's balance, the market, the commands.
import { formatTon } from '@cocoon/shared';
import { Composer, type Context } from 'grammy';
import { describeError, type Features } from '../deps';
import { replyTo } from '../job';
import { balanceLines } from '../stars/text';
import { keyboard, miniAppButton } from '../ui';

export const COMMANDS = [
  { command: 'summarize', description: 'Sum up the recent conversation (or a replied message)' },
  { command: 'generate', description: 'Generate text from a prompt' },
  { command: 'balance', description: 'Your Cocoon balance' },
  { command: 'price', description: 'Market prices per model' },
  { command: 'buy', description: 'Buy compute credit with Telegram Stars' },
  { command: 'refund', description: 'Refund an unspent Stars purchase' },
  { command: 'paysupport', description: 'Help with a payment' },
  { command: 'terms', description: 'Terms of sale' },
  { command: 'forget', description: "Delete this chat's stored history" },
  { command: 'trust', description: 'Confidential (TDX) rigs only, or any rig, for this chat' },
  { command: 'start', description: 'What Cocoon is' },
  { command: 'help', description: 'How to use the bot' },
];

const ABOUT =
  'Cocoon is a confidential compute market on TON: GPU rigs sell AI inference, and you pay per token in TON. ' +
  'Your text is sealed on this side and opened only by the rig that runs your job — the Cocoon proxy ' +
  'routes and settles jobs but never sees their text.';

function helpText(f: Features): string {
  return [
    'Commands:',
    `/summarize — sum up the last ${f.config.SUMMARIZE_DEFAULT_MESSAGES} messages of a group; ` +
      `/summarize 300 for more (up to ${f.config.SUMMARIZE_MAX_MESSAGES}); reply to a message to start there. ` +
      'In a private chat, reply /summarize to a forwarded or pasted message.',
    '/generate <prompt> — text from a language model, streamed as it is written.',
    '/balance — your Cocoon balance (Stars credit shown apart).',
    '/buy — buy compute credit with Telegram Stars (in a private chat); /refund — refund an unspent purchase.',
    '/paysupport — help with a payment; /terms — terms of sale.',
    '/price — what rigs ask per model right now.',
    "/forget — delete this chat's stored history now (group admins only).",
    "/trust tdx|open — run this chat's jobs on confidential (TDX) rigs only, or on any rig (group admins " +
      'only); /trust alone shows the setting.',
    'Whoever sends a command pays for it from their own Cocoon balance.',
  ].join('\n');
}

export function accountFeature(f: Features): Composer<Context> {
  const { config, deps } = f;
  const c = new Composer<Context>();

  async function balanceLine(ctx: Context): Promise<string> {
    try {
      return balanceLines(await deps.cocoonFor(ctx.from!).me()).join('\n');
    } catch (err) {
      deps.log.warn({ err: describeError(err) }, 'balance lookup failed');
      return 'Balance: unavailable right now.';
    }
  }

  c.command('start', async (ctx) => {
    if (!ctx.from) return;
    const type = ctx.chat.type;
    const markup = keyboard(miniAppButton('Open Cocoon', config.MINIAPP_URL, '', type));
    if (type === 'private') {
      await ctx.reply(`${ABOUT}\n\n${await balanceLine(ctx)}\n\n${helpText(f)}`, { reply_markup: markup });
    } else {
      await ctx.reply(`${ABOUT}\n\nSend /summarize to sum up this chat, or /help for more.`, {
        reply_markup: markup,
      });
    }
  });

  c.command('help', async (ctx) => {
    await ctx.reply(helpText(f), { reply_parameters: replyTo(ctx) });
  });

  c.command('balance', async (ctx) => {
    if (!ctx.from) return;
    await ctx.reply(await balanceLine(ctx), {
      reply_parameters: replyTo(ctx),
      reply_markup: keyboard(miniAppButton('Buy compute', config.MINIAPP_URL, 'wallet', ctx.chat.type)),
    });
  });

  c.command('price', async (ctx) => {
    if (!ctx.from) return;
    const markup = keyboard(miniAppButton('Price board', config.MINIAPP_URL, 'market', ctx.chat.type));
    let text: string;
    try {
      const market = await deps.cocoonFor(ctx.from).market();
      const lines = market.models
        .filter((m) => m.asks.length > 0)
        .map((m) => {
          const best = m.asks.reduce((a, b) => (BigInt(b.priceNanoPer1k) < BigInt(a.priceNanoPer1k) ? b : a));
          const rigs = m.asks.reduce((n, a) => n + a.rigs, 0);
          const free = m.asks.reduce((n, a) => n + a.freeSlots, 0);
          const median = m.median24hNanoPer1k
            ? ` · 24 h median ${formatTon(BigInt(m.median24hNanoPer1k))}`
            : '';
          return (
            `${m.model}${m.demoGrade ? ' (demo)' : ''}: from ${formatTon(BigInt(best.priceNanoPer1k))} TON ` +
            `per 1,000 tokens · ${rigs} rig${rigs === 1 ? '' : 's'}, ${free} free${median}`
          );
        });
      text = lines.length
        ? `Market (plus a ${market.feeBps / 100}% platform fee):\n${lines.join('\n')}`
        : 'No rigs are online right now.';
    } catch (err) {
      deps.log.warn({ err: describeError(err) }, 'market lookup failed');
      text = 'The market is unavailable right now. Try again in a minute.';
    }
    await ctx.reply(text, { reply_parameters: replyTo(ctx), reply_markup: markup });
  });

  return c;
}
