// /forget: deletes this chat's stored history now. In groups only the creator and admins may do it.
import { Composer, type Context } from 'grammy';
import { isChatAdmin } from '../admin';
import { describeError, type Features } from '../deps';
import { replyTo } from '../job';

export function forgetFeature(f: Features): Composer<Context> {
  const { deps } = f;
  const c = new Composer<Context>();
  c.command('forget', async (ctx) => {
    const chat = ctx.chat;
    if (!(await isChatAdmin(ctx))) {
      await ctx.reply("Only the group's admins can delete its stored history.", {
        reply_parameters: replyTo(ctx),
      });
      return;
    }
    try {
      const deleted = await deps.history.forget(chat.id);
      deps.log.info({ chatId: chat.id, deleted }, 'chat history forgotten');
      await ctx.reply(
        deleted
          ? `Done: I deleted the ${deleted} stored message${deleted === 1 ? '' : 's'} of this chat.`
          : 'Done: nothing of this chat was stored.',
        { reply_parameters: replyTo(ctx) },
      );
    } catch (err) {
      deps.log.warn({ chatId: chat.id, err: describeError(err) }, 'forget failed');
      await ctx.reply('I could not reach the history store. Nothing was deleted; try again in a minute.', {
        reply_parameters: replyTo(ctx),
      });
    }
  });
  return c;
}
