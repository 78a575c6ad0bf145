// /generate <prompt>: text from a language model, streamed by editing the reply. The sender pays.
import { Composer, type Context } from 'grammy';
import type { Features } from '../deps';
import { replyTo, startChatJob, takeRateLimit } from '../job';

export function generateFeature(f: Features): Composer<Context> {
  const { config } = f;
  const c = new Composer<Context>();
  c.command('generate', async (ctx) => {
    const from = ctx.from;
    if (!from) return;
    const prompt = ctx.match.trim() || (ctx.msg.reply_to_message?.text ?? '').trim();
    if (!prompt) {
      await ctx.reply('Usage: /generate <prompt> — for example: /generate a short poem about the sea', {
        reply_parameters: replyTo(ctx),
      });
      return;
    }
    if (prompt.length > config.GENERATE_MAX_PROMPT_CHARS) {
      await ctx.reply(
        `The prompt is too long: keep it under ${config.GENERATE_MAX_PROMPT_CHARS} characters.`,
        {
          reply_parameters: replyTo(ctx),
        },
      );
      return;
    }
    if (!(await takeRateLimit(f, ctx))) return;
    startChatJob(f, ctx, {
      name: 'generate',
      model: config.GENERATE_MODEL,
      payer: from,
      chatId: ctx.chat.id,
      chatType: ctx.chat.type,
      replyToMessageId: ctx.msg.message_id,
      placeholder: 'Generating…',
      prepare: async () => ({ kind: 'generate', prompt, maxTokens: config.GENERATE_MAX_TOKENS }),
    });
  });
  return c;
}
