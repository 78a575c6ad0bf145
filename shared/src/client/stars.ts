// Telegram Stars (proxy/src/stars/): the offer, invoices, the bot's reports (service key), purchases, refunds.
import { API_ROUTES as CONTRACT } from '../contract/api';
import type {
  CreateStarsInvoiceRequest,
  StarsPaymentRequest,
  StarsPreCheckoutRequest,
  StarsReversalRequest,
} from '../contract/stars';
import type { ClientHttp } from './http';

export function starsMethods({ call }: ClientHttp) {
  return {
    starsOffer: () => call(CONTRACT.starsOffer),
    createStarsInvoice: (body: CreateStarsInvoiceRequest) => call(CONTRACT.createStarsInvoice, { body }),
    /** The bot, for a pre_checkout_query: `{ ok: false, reason }` goes to answerPreCheckoutQuery as is. */
    starsPreCheckout: (body: StarsPreCheckoutRequest) => call(CONTRACT.starsPreCheckout, { body }),
    /** The bot, for a successful_payment: `credited: false` when this charge was credited before. */
    starsPayment: (body: StarsPaymentRequest) => call(CONTRACT.starsPayment, { body }),
    /** The bot, for a refunded_payment. */
    starsReversal: (body: StarsReversalRequest) => call(CONTRACT.starsReversal, { body }),
    starsPurchases: () => call(CONTRACT.starsPurchases),
    refundStarsPurchase: (id: string) => call(CONTRACT.refundStarsPurchase, { params: { id } }),
    /** The operator (ADMIN_KEY): refunds any paid charge. */
    adminRefundStars: (telegramPaymentChargeId: string) =>
      call(CONTRACT.adminRefundStars, { body: { telegramPaymentChargeId } }),
  };
}
