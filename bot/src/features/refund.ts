// /refund: the user's Stars purchases, with a button for each one that can still be refunded (wholly unspent,
// inside the window: Telegram's refundStarPayment returns a whole charge only) and the reason for each one
// that can't. The proxy decides and calls Telegram; the bot shows its answer.

import type { StarsPurchaseView } from '@cocoon/shared';
import { Composer, type Context } from 'grammy';
import type { InlineKeyboardButton } from 'grammy/types';
import { describeError, type Features } from '../deps';
import { replyTo } from '../job';
import { parseRefundData, REFUND_DATA_PATTERN, refundCallbackData } from '../stars/callback-data';
import { clip, formatStars, refundedText, refundListText } from '../stars/text';
import { refusal } from './buy';

/** The most purchases one /refund lists (newest first). */
export const REFUND_LIST_MAX = 10;
const REFUND_UNAVAILABLE = 'Refunds are unavailable right now. Try again in a minute.';

export function refundFeature(f: Features): Composer<Context> {
  const { deps } = f;
  const c = new Composer<Context>();

  c.command('refund', async (ctx) => {
    if (!ctx.from) return;
    if (ctx.chat.type !== 'private') {
      await ctx.reply('Send /refund in a private chat with me.', { reply_parameters: replyTo(ctx) });
      return;
    }
    let purchases: StarsPurchaseView[];
    try {
      purchases = (await deps.cocoonFor(ctx.from).starsPurchases()).purchases;
    } catch (err) {
      deps.log.warn({ err: describeError(err) }, 'stars purchases lookup failed');
      await ctx.reply(REFUND_UNAVAILABLE);
      return;
    }
    const shown = purchases
      .filter((p) => p.state !== 'pending')
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))
      .slice(0, REFUND_LIST_MAX);
    const rows: InlineKeyboardButton[][] = shown
      .filter((p) => p.refundable)
      .map((p) => [
        {
          text: `Refund ${formatStars(p.stars)} of ${(p.paidAt ?? p.createdAt).slice(0, 10)}`,
          callback_data: refundCallbackData(p.id),
        },
      ]);
    await ctx.reply(refundListText(shown), {
      reply_markup: rows.length ? { inline_keyboard: rows } : undefined,
    });
  });

  c.callbackQuery(REFUND_DATA_PATTERN, async (ctx) => {
    const id = parseRefundData(ctx.callbackQuery.data);
    if (id === null || ctx.chat?.type !== 'private') {
      await ctx.answerCallbackQuery({ text: 'This button is not valid here. Send /refund.' });
      return;
    }
    let purchase: StarsPurchaseView;
    try {
      purchase = (await deps.cocoonFor(ctx.from).refundStarsPurchase(id)).purchase;
    } catch (err) {
      deps.log.warn({ userId: ctx.from.id, purchaseId: id, err: describeError(err) }, 'stars refund refused');
      const why = refusal(err, REFUND_UNAVAILABLE);
      await ctx.answerCallbackQuery({ text: clip(why, 190), show_alert: true });
      await ctx.reply(`Not refunded: ${clip(why, 500)}`);
      return;
    }
    deps.log.info({ userId: ctx.from.id, purchaseId: purchase.id }, 'stars purchase refunded');
    await ctx.answerCallbackQuery({ text: 'Refunded.' });
    await ctx.reply(refundedText(purchase));
  });
  return c;
}
