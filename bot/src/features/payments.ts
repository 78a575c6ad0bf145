// Telegram Stars payments as Telegram delivers them: the pre-checkout query (the proxy decides, answered
// well inside Telegram's 10 s), the successful_payment (reported to the proxy, which confirms the charge with
// Telegram and credits it once), and the refunded_payment Telegram sends when it reverses a charge. Each runs
// beside the update loop, so a slow proxy never holds up another user's pre-checkout.

import {
  type MeView,
  type StarsPreCheckoutAnswer as PreCheckoutVerdict,
  STARS_CURRENCY,
} from '@cocoon/shared';
import { Composer, type Context } from 'grammy';
import type { PreCheckoutQuery, RefundedPayment, SuccessfulPayment } from 'grammy/types';
import { describeError, type Features } from '../deps';
import { withDeadline, withRetries } from '../stars/retry';
import {
  ALREADY_CREDITED,
  clip,
  INVOICE_PAYLOAD_MAX_BYTES,
  PRECHECKOUT_REASON_MAX,
  paidText,
  reportFailedText,
  reversedText,
} from '../stars/text';

export const PRECHECKOUT_TRY_AGAIN =
  "Cocoon couldn't confirm this purchase in time. Nothing was charged; please try again.";
const CHARGE_ID_MAX = 256;

/** What Telegram sent about a payment, checked before anything is asked of the proxy. */
function paymentProblem(p: {
  currency: string;
  total_amount: number;
  invoice_payload: string;
}): string | null {
  if (p.currency !== STARS_CURRENCY) return 'This bot takes Telegram Stars only.';
  if (!Number.isSafeInteger(p.total_amount) || p.total_amount < 1) return 'The amount is not valid.';
  const bytes = Buffer.byteLength(p.invoice_payload);
  if (bytes < 1 || bytes > INVOICE_PAYLOAD_MAX_BYTES) return 'This invoice is not one of mine.';
  return null;
}

export function paymentsFeature(f: Features): Composer<Context> {
  const { config, deps } = f;
  const c = new Composer<Context>();
  /** Passes what Telegram reported on to the proxy, tried again (a bounded number of times) while it fails. */
  const report = <T>(what: 'payment' | 'reversal', userId: number, send: () => Promise<T>): Promise<T> =>
    withRetries(send, {
      attempts: config.STARS_REPORT_ATTEMPTS,
      firstDelayMs: config.STARS_REPORT_RETRY_MS,
      onRetry: (err, attempt) =>
        deps.log.warn({ userId, attempt, err: describeError(err) }, `stars ${what} report retried`),
    });

  /** The proxy's verdict on a pre-checkout query, or "try again" when it doesn't answer in time. */
  async function verdict(q: PreCheckoutQuery): Promise<PreCheckoutVerdict> {
    const problem = paymentProblem(q);
    if (problem) return { ok: false, reason: problem };
    try {
      return await withDeadline(
        deps.cocoonFor(q.from).starsPreCheckout({
          telegramUserId: String(q.from.id),
          payload: q.invoice_payload,
          currency: q.currency,
          totalAmount: q.total_amount,
        }),
        config.STARS_PRECHECKOUT_TIMEOUT_MS,
      );
    } catch (err) {
      deps.log.warn({ userId: q.from.id, err: describeError(err) }, 'stars pre-checkout unanswered');
      return { ok: false, reason: PRECHECKOUT_TRY_AGAIN };
    }
  }

  c.on('pre_checkout_query', (ctx) => {
    const q = ctx.preCheckoutQuery;
    deps.tasks.run('stars pre-checkout', async () => {
      const answer = await verdict(q);
      try {
        if (answer.ok) await ctx.answerPreCheckoutQuery(true);
        else
          await ctx.answerPreCheckoutQuery(false, {
            error_message: clip(answer.reason.trim() || PRECHECKOUT_TRY_AGAIN, PRECHECKOUT_REASON_MAX),
          });
      } catch (err) {
        // Past Telegram's deadline the query is gone and the payment failed: nothing was charged.
        deps.log.warn({ userId: q.from.id, err: describeError(err) }, 'stars pre-checkout answer refused');
        return;
      }
      deps.log.info(
        { userId: q.from.id, ok: answer.ok, stars: q.total_amount },
        'stars pre-checkout answered',
      );
    });
  });

  c.on('message:successful_payment', (ctx) => {
    const p: SuccessfulPayment = ctx.message.successful_payment;
    const from = ctx.from;
    const chatId = ctx.chat.id;
    deps.tasks.run('stars payment', async () => {
      const problem = paymentProblem(p);
      const chargeId = p.telegram_payment_charge_id;
      if (problem || !chargeId || chargeId.length > CHARGE_ID_MAX) {
        deps.log.error({ userId: from.id, problem }, 'stars payment not reportable');
        return;
      }
      const stars = deps.cocoonFor(from);
      let result: Awaited<ReturnType<typeof stars.starsPayment>>;
      try {
        result = await report('payment', from.id, () =>
          stars.starsPayment({
            telegramUserId: String(from.id),
            payload: p.invoice_payload,
            currency: p.currency,
            totalAmount: p.total_amount,
            telegramPaymentChargeId: chargeId,
          }),
        );
      } catch (err) {
        deps.log.error({ userId: from.id, chargeId, err: describeError(err) }, 'stars payment not reported');
        await ctx.api.sendMessage(chatId, reportFailedText(chargeId));
        return;
      }
      deps.log.info(
        { userId: from.id, purchaseId: result.purchase.id, credited: result.credited },
        'stars payment reported',
      );
      if (!result.credited) {
        // Telegram delivered the same payment twice: nothing more was credited, and there's nothing to celebrate.
        await ctx.api.sendMessage(chatId, ALREADY_CREDITED, { disable_notification: true });
        return;
      }
      const me = await meOrUndefined(f, from);
      await ctx.api.sendMessage(
        chatId,
        `${paidText(result.purchase, me)}\nPayment id: ${clip(chargeId, 64)}`,
      );
    });
  });

  c.on('message:refunded_payment', (ctx) => {
    const p: RefundedPayment = ctx.message.refunded_payment;
    const from = ctx.from;
    const chatId = ctx.chat.id;
    deps.tasks.run('stars reversal', async () => {
      const chargeId = p.telegram_payment_charge_id;
      if (p.currency !== STARS_CURRENCY || !chargeId || chargeId.length > CHARGE_ID_MAX) {
        deps.log.error({ userId: from.id }, 'stars reversal not reportable');
        return;
      }
      const { purchase } = await report('reversal', from.id, () =>
        deps.cocoonFor(from).starsReversal({
          telegramUserId: String(from.id),
          telegramPaymentChargeId: chargeId,
        }),
      );
      deps.log.info(
        { userId: from.id, purchaseId: purchase.id, state: purchase.state },
        'stars reversal reported',
      );
      // A refund the user asked for (/refund) was answered there already.
      if (purchase.state !== 'reversed') return;
      const me = await meOrUndefined(f, from);
      await ctx.api.sendMessage(chatId, reversedText(purchase, BigInt(me?.receivableNano ?? '0')));
    });
  });

  return c;
}

async function meOrUndefined(
  f: Features,
  user: { id: number; first_name: string },
): Promise<MeView | undefined> {
  try {
    return await f.deps.cocoonFor(user).me();
  } catch (err) {
    f.deps.log.warn({ err: describeError(err) }, 'balance lookup failed');
    return undefined;
  }
}
