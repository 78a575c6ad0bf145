// /buy (and the /start buy deep link): the Stars packs with what each buys at the operator's rate, as
// buttons; a pick asks the proxy for an invoice (bound to this user and pack) and sends it in XTR. In a
// group the answer is a button to the private chat or the Mini App: invoices are paid one to one.

import type { StarsInvoice } from '@cocoon/shared';
import { ApiError, STARS_CURRENCY } from '@cocoon/shared';
import { Composer, type Context } from 'grammy';
import type { InlineKeyboardButton } from 'grammy/types';
import { describeError, type Features } from '../deps';
import { replyTo } from '../job';
import { BUY_DATA_PATTERN, buyCallbackData, parseBuyData } from '../stars/callback-data';
import {
  clip,
  INVOICE_DESCRIPTION_MAX,
  INVOICE_PAYLOAD_MAX_BYTES,
  INVOICE_TITLE_MAX,
  offerText,
  packButtonText,
} from '../stars/text';
import { miniAppButton } from '../ui';

export const STARS_UNAVAILABLE = 'Buying with Stars is unavailable right now. Try again in a minute.';

/** The invoice as the proxy made it, checked against what Telegram accepts and what the user picked. */
function invoiceProblem(inv: StarsInvoice, stars: number): string | null {
  if (inv.stars !== stars) return 'the invoice is for another pack';
  const bytes = Buffer.byteLength(inv.payload);
  if (bytes < 1 || bytes > INVOICE_PAYLOAD_MAX_BYTES) return 'the payload is not 1-128 bytes';
  if (!inv.title.trim() || !inv.description.trim()) return 'the invoice has no title or description';
  return null;
}

export function buyFeature(f: Features): Composer<Context> {
  const { config, deps } = f;
  const c = new Composer<Context>();

  async function showOffer(ctx: Context): Promise<void> {
    if (!ctx.from || !ctx.chat) return;
    if (ctx.chat.type !== 'private') {
      const rows: InlineKeyboardButton[][] = [
        [{ text: 'Buy in a private chat', url: `https://t.me/${ctx.me.username}?start=buy` }],
        [miniAppButton('Open the wallet', config.MINIAPP_URL, 'wallet', ctx.chat.type)],
      ];
      await ctx.reply('Stars are paid in a private chat with me, or in the Mini App’s wallet.', {
        reply_parameters: replyTo(ctx),
        reply_markup: { inline_keyboard: rows },
      });
      return;
    }
    let text: string;
    let rows: InlineKeyboardButton[][] = [];
    try {
      const offer = await deps.cocoonFor(ctx.from).starsOffer();
      text = offerText(offer);
      rows = offer.packs
        .slice(0, 8)
        .map((p) => [{ text: packButtonText(p), callback_data: buyCallbackData(p.stars) }]);
      if (rows.length === 0) text = 'No Stars packs are on offer right now.';
    } catch (err) {
      deps.log.warn({ err: describeError(err) }, 'stars offer lookup failed');
      text = STARS_UNAVAILABLE;
    }
    await ctx.reply(text, { reply_markup: rows.length ? { inline_keyboard: rows } : undefined });
  }

  c.command('buy', showOffer);
  // t.me/<bot>?start=buy opens the private chat with "/start buy".
  c.command('start', async (ctx, next) => (ctx.match.trim() === 'buy' ? showOffer(ctx) : next()));

  c.callbackQuery(BUY_DATA_PATTERN, async (ctx) => {
    const stars = parseBuyData(ctx.callbackQuery.data);
    const chat = ctx.chat;
    if (stars === null || !chat || chat.type !== 'private') {
      await ctx.answerCallbackQuery({ text: 'This button is not valid here. Send /buy.' });
      return;
    }
    let invoice: StarsInvoice;
    try {
      invoice = await deps.cocoonFor(ctx.from).createStarsInvoice({ stars });
    } catch (err) {
      deps.log.warn({ err: describeError(err) }, 'stars invoice failed');
      await ctx.answerCallbackQuery({ text: clip(refusal(err), 190), show_alert: true });
      return;
    }
    const problem = invoiceProblem(invoice, stars);
    if (problem) {
      deps.log.error({ problem }, 'stars invoice refused');
      await ctx.answerCallbackQuery({ text: STARS_UNAVAILABLE, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    await ctx.api.sendInvoice(
      chat.id,
      clip(invoice.title, INVOICE_TITLE_MAX),
      clip(invoice.description, INVOICE_DESCRIPTION_MAX),
      invoice.payload,
      STARS_CURRENCY,
      [{ label: clip(`${stars} Stars of compute credit`, 32), amount: stars }],
      { provider_token: '' },
    );
    deps.log.info({ userId: ctx.from.id, stars, purchaseId: invoice.purchaseId }, 'stars invoice sent');
  });
  return c;
}

/** The proxy's refusal (daily cap, unknown pack, spent credit) in its words; anything else, `fallback`. */
export function refusal(err: unknown, fallback = STARS_UNAVAILABLE): string {
  return err instanceof ApiError && err.status >= 400 && err.status < 500 && err.message
    ? err.message
    : fallback;
}
