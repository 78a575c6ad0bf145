// Test helpers for Telegram Stars in the emulator (`@cocoon/emulator/testing`): a user pays an invoice (by its
// slug, its createInvoiceLink link, or the sendInvoice message), balances, and a reversal by "Telegram".
// They call the same code as the payment sheet and the control API (Emulator.stars).
import type { Emulator } from '../emulator';
import type { TgMessage } from '../model';
import type { PayResult } from '../stars';

export type { PayResult } from '../stars';

/** An invoice: a slug, a createInvoiceLink link, or a sendInvoice message in a chat (private chat: the user's id). */
export type InvoiceRef = string | { chatId: number; messageId: number; bot?: string | number };

/** The slug at the end of an invoice link (`…/invoice/<slug>`); a bare slug is returned as is. */
export function invoiceSlug(linkOrSlug: string): string {
  const match = /\/invoice\/([A-Za-z0-9_-]+)\/?$/.exec(linkOrSlug);
  return match ? match[1] : linkOrSlug;
}

/**
 * `userId` pays the invoice. Resolves when the payment is done: paid (the bot answered the pre-checkout query
 * with ok and got successful_payment) or failed (ok: false, no answer within the deadline, too few Stars).
 */
export function payInvoice(emulator: Emulator, invoice: InvoiceRef, userId: number): Promise<PayResult> {
  const { stars, world } = emulator;
  if (typeof invoice === 'string') return stars.pay(invoiceSlug(invoice), userId);
  const conv = world.conversationFor(invoice.chatId, world.resolveBot(invoice.bot));
  return stars.pay(stars.invoiceForMessage(conv.key, invoice.messageId).slug, userId);
}

export function setStars(emulator: Emulator, userId: number, balance: number): void {
  emulator.stars.setBalance(userId, balance);
}

export function starsBalance(emulator: Emulator, userId: number): number {
  return emulator.stars.balance(userId);
}

/** Telegram reverses a charge on its own: the Stars go back and the bot gets a refunded_payment message. */
export function reverseCharge(emulator: Emulator, telegramPaymentChargeId: string): TgMessage {
  return emulator.stars.reverse(telegramPaymentChargeId);
}
