// /paysupport and /terms: what Telegram expects of every bot that takes payments — how to get help with a
// payment, and the terms of sale (what is sold, delivery, refunds).

import type { StarsOffer } from '@cocoon/shared';
import { Composer, type Context } from 'grammy';
import { describeError, type Features } from '../deps';
import { replyTo } from '../job';
import { paySupportText, termsText } from '../stars/text';

export function supportContact(f: Features): string {
  return f.config.PAYMENT_SUPPORT ?? "this bot's operator (the contact on the bot's profile)";
}

export function paymentTermsFeature(f: Features): Composer<Context> {
  const { deps } = f;
  const c = new Composer<Context>();
  c.command('paysupport', async (ctx) => {
    await ctx.reply(paySupportText(supportContact(f)), { reply_parameters: replyTo(ctx) });
  });
  c.command('terms', async (ctx) => {
    let offer: StarsOffer | undefined;
    if (ctx.from) {
      try {
        offer = await deps.cocoonFor(ctx.from).starsOffer();
      } catch (err) {
        deps.log.warn({ err: describeError(err) }, 'stars offer lookup failed');
      }
    }
    await ctx.reply(termsText(offer, supportContact(f)), { reply_parameters: replyTo(ctx) });
  });
  return c;
}
