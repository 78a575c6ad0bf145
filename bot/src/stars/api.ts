// What the Stars features need from the proxy: the client methods of /work/notes/stars-contract.md.
// TEMPORARY mirror of shared/src/contract/stars.ts until the `stars` branch is merged; then these become
// the shared client's own types.
import type { CocoonClient } from '@cocoon/shared';

export interface StarsOffer {
  rateNanoPerStar: string;
  packs: Array<{ stars: number; nano: string }>;
  dailyCapStars: number;
  refundWindowMs: number;
  earningsHoldMs: number;
}

export interface StarsInvoice {
  purchaseId: string;
  payload: string;
  stars: number;
  nano: string;
  rateNanoPerStar: string;
  title: string;
  description: string;
  invoiceLink: string | null;
}

export interface StarsPurchaseView {
  id: string;
  stars: number;
  nano: string;
  rateNanoPerStar: string;
  state: 'pending' | 'paid' | 'refunded' | 'reversed';
  telegramPaymentChargeId: string | null;
  createdAt: string;
  paidAt: string | null;
  spentNano: string;
  refundable: boolean;
  refundableUntil: string | null;
  notRefundableReason: string | null;
}

export interface StarsMe {
  balanceNano: string;
  heldNano: string;
  onchainNano?: string | null;
  starsNano?: string;
  receivableNano?: string;
}

export interface StarsClient {
  me(): Promise<StarsMe>;
  starsOffer(): Promise<StarsOffer>;
  createStarsInvoice(body: { stars: number; link?: boolean }): Promise<StarsInvoice>;
  starsPreCheckout(body: {
    telegramUserId: string;
    payload: string;
    currency: string;
    totalAmount: number;
  }): Promise<{ ok: true } | { ok: false; reason: string }>;
  starsPayment(body: {
    telegramUserId: string;
    payload: string;
    currency: string;
    totalAmount: number;
    telegramPaymentChargeId: string;
  }): Promise<{ credited: boolean; purchase: StarsPurchaseView; starsNano: string }>;
  starsReversal(body: {
    telegramUserId: string;
    telegramPaymentChargeId: string;
  }): Promise<{ purchase: StarsPurchaseView }>;
  starsPurchases(): Promise<{ purchases: StarsPurchaseView[] }>;
  refundStarsPurchase(id: string): Promise<{ purchase: StarsPurchaseView }>;
}

/** The Stars side of a user's proxy client. */
export function starsClient(client: CocoonClient): StarsClient {
  return client as unknown as StarsClient;
}
