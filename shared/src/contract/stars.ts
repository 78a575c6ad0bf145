// Telegram Stars (issue #29): the offer, invoices, the bot's pre-checkout and payment reports, purchases and
// refunds. Stars buy compute credit (its own kind of balance: spendable on jobs, never withdrawable as TON);
// the proxy confirms every charge with Telegram itself before it credits (proxy/src/stars/).
import { z } from 'zod';
import { nanoString, uuid } from '../schemas/common';
import { getRoute, isoTime, listOf, route } from './route';

/** Telegram's limit on an invoice payload, in bytes. */
export const STARS_PAYLOAD_MAX_BYTES = 128;
/** Telegram's currency code for Stars. */
export const STARS_CURRENCY = 'XTR';

/** A Telegram user id as the bot reports it: digits, as a string (ids pass 2^31). */
const telegramUserId = z.string().regex(/^\d{1,20}$/, 'must be a Telegram user id (digits)');
/**
 * An invoice payload as Telegram echoes it. Any string Telegram can carry is accepted here so that a forged
 * one gets a precise refusal (`ok: false` with the reason) rather than a bare validation error.
 */
const invoicePayload = z
  .string()
  .min(1, 'must not be empty')
  .max(STARS_PAYLOAD_MAX_BYTES, `must be at most ${STARS_PAYLOAD_MAX_BYTES} characters`)
  .refine(
    (s) => new TextEncoder().encode(s).length <= STARS_PAYLOAD_MAX_BYTES,
    `must be at most ${STARS_PAYLOAD_MAX_BYTES} bytes`,
  );
/** A whole number of Stars, as Telegram counts them. */
const starsAmount = z.number().int('must be a whole number of Stars').min(1).max(1_000_000);
const chargeId = z.string().min(1).max(256);

export const starsOffer = z.strictObject({
  /** What one Star buys, in nanoTON of compute; kept with each purchase. */
  rateNanoPerStar: nanoString,
  packs: z.array(z.strictObject({ stars: z.number().int().positive(), nano: nanoString })),
  /** The most Stars one user may pay in a UTC day. */
  dailyCapStars: z.number().int().nonnegative(),
  /** How long after paying a wholly unspent purchase can be refunded by its buyer. */
  refundWindowMs: z.number().int().nonnegative(),
  /** How long rig earnings from Stars-paid jobs are held before they can be withdrawn. */
  earningsHoldMs: z.number().int().nonnegative(),
});
export type StarsOffer = z.infer<typeof starsOffer>;

export const createStarsInvoiceRequest = z.object({
  /** One of the offer's packs. */
  stars: starsAmount,
  /** true: the proxy also creates an invoice link (createInvoiceLink) for the Mini App to open. */
  link: z.boolean().optional(),
});
export type CreateStarsInvoiceRequest = z.input<typeof createStarsInvoiceRequest>;

export const starsInvoice = z.strictObject({
  purchaseId: uuid,
  /** Random, bound to the user and the pack, at most 128 bytes: the bot passes it to sendInvoice as is. */
  payload: z.string(),
  stars: z.number().int().positive(),
  nano: nanoString,
  rateNanoPerStar: nanoString,
  title: z.string(),
  description: z.string(),
  /** The link from createInvoiceLink when asked (`link: true`), else null. */
  invoiceLink: z.string().nullable(),
});
export type StarsInvoice = z.infer<typeof starsInvoice>;

export const starsPreCheckoutRequest = z.object({
  telegramUserId,
  payload: invoicePayload,
  currency: z.string().max(16),
  totalAmount: starsAmount,
});
export type StarsPreCheckoutRequest = z.input<typeof starsPreCheckoutRequest>;

export const starsPreCheckoutAnswer = z.union([
  z.strictObject({ ok: z.literal(true) }),
  /** `reason` is what Telegram shows the user (answerPreCheckoutQuery's error_message). */
  z.strictObject({ ok: z.literal(false), reason: z.string() }),
]);
export type StarsPreCheckoutAnswer = z.infer<typeof starsPreCheckoutAnswer>;

export const starsPaymentRequest = starsPreCheckoutRequest.extend({ telegramPaymentChargeId: chargeId });
export type StarsPaymentRequest = z.input<typeof starsPaymentRequest>;

export const starsReversalRequest = z.object({ telegramUserId, telegramPaymentChargeId: chargeId });
export type StarsReversalRequest = z.input<typeof starsReversalRequest>;

export const adminStarsRefundRequest = z.object({ telegramPaymentChargeId: chargeId });

export const starsPurchaseState = z.enum(['pending', 'paid', 'refunded', 'reversed']);
export type StarsPurchaseState = z.infer<typeof starsPurchaseState>;

export const starsPurchaseView = z.strictObject({
  id: uuid,
  stars: z.number().int().positive(),
  /** The credit it bought: stars × rateNanoPerStar. */
  nano: nanoString,
  /** The rate at the time of the purchase. */
  rateNanoPerStar: nanoString,
  state: starsPurchaseState,
  telegramPaymentChargeId: z.string().nullable(),
  createdAt: isoTime,
  paidAt: isoTime.nullable(),
  /** How much of its credit has been spent on jobs (purchases are spent oldest first). */
  spentNano: nanoString,
  /** Its buyer may have it refunded now (paid, wholly unspent, within the window). */
  refundable: z.boolean(),
  refundableUntil: isoTime.nullable(),
  /** Why it can't be refunded now; null when it can. */
  notRefundableReason: z.string().nullable(),
});
export type StarsPurchaseView = z.infer<typeof starsPurchaseView>;

const purchaseAnswer = z.strictObject({ purchase: starsPurchaseView });
const purchaseParams = z.object({ id: z.string().uuid('must be a purchase id (uuid)') });

export const starsRoutes = {
  /** Public: the rate, the packs and the rules, shown before every purchase. */
  starsOffer: getRoute('/v1/stars/offer', starsOffer),
  /** A user (or the service key acting for one): a purchase waiting for its payment, and its payload. */
  createStarsInvoice: route({
    method: 'POST',
    path: '/v1/stars/invoices',
    request: { body: createStarsInvoiceRequest },
    response: starsInvoice,
    status: [201],
  }),
  /** The bot (service key only), for a pre_checkout_query: answer with this within Telegram's 10 seconds. */
  starsPreCheckout: route({
    method: 'POST',
    path: '/v1/stars/pre-checkout',
    request: { body: starsPreCheckoutRequest },
    response: starsPreCheckoutAnswer,
  }),
  /**
   * The bot (service key only), for a successful_payment: the proxy confirms the charge with Telegram and
   * credits it once (`credited: false`: it was credited before).
   */
  starsPayment: route({
    method: 'POST',
    path: '/v1/stars/payments',
    request: { body: starsPaymentRequest },
    response: z.strictObject({ credited: z.boolean(), purchase: starsPurchaseView, starsNano: nanoString }),
  }),
  /** The bot (service key only), for a refunded_payment: confirmed with Telegram, then debited. */
  starsReversal: route({
    method: 'POST',
    path: '/v1/stars/reversals',
    request: { body: starsReversalRequest },
    response: purchaseAnswer,
  }),
  starsPurchases: getRoute('/v1/stars/purchases', listOf('purchases', starsPurchaseView)),
  /** The buyer: within the window, wholly unspent (Telegram refunds a whole charge). */
  refundStarsPurchase: route({
    method: 'POST',
    path: '/v1/stars/purchases/:id/refund',
    request: { params: purchaseParams },
    response: purchaseAnswer,
  }),
  /** The operator (ADMIN_KEY): refunds any paid charge, spent or not. */
  adminRefundStars: route({
    method: 'POST',
    path: '/v1/admin/stars/refunds',
    request: { body: adminStarsRefundRequest },
    response: purchaseAnswer,
  }),
} as const;
