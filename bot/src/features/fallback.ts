// Anything no feature handled: unknown commands get a hint in private chats; everything else is ignored.
import { Composer, type Context } from 'grammy';

export function fallbackFeature(): Composer<Context> {
  const c = new Composer<Context>();
  c.chatType('private').on('message:entities:bot_command', async (ctx) => {
    await ctx.reply("I don't know that command. Send /help to see what I can do.");
  });
  c.chatType('private').on('message:text', async (ctx) => {
    await ctx.reply(
      'Reply to a message with /summarize to sum it up, or send /generate <prompt>. /help lists all.',
    );
  });
  return c;
}
