// Opens an invoice link with Telegram's invoice API (Mini Apps 6.1+, @telegram-apps/sdk's `invoice.open(url,
// 'url')`), which resolves with how the payment sheet closed.
import { invoice } from '@telegram-apps/sdk-react';

/** How a payment sheet closed (Telegram's invoiceClosed statuses). */
export type InvoiceStatus = 'paid' | 'cancelled' | 'failed' | 'pending';

export class InvoiceUnavailable extends Error {
  constructor() {
    super("This Telegram app can't open invoices here: update Telegram and open Cocoon from it.");
  }
}

export async function openTelegramInvoice(link: string): Promise<InvoiceStatus> {
  if (!invoice.open.isAvailable()) throw new InvoiceUnavailable();
  const status = await invoice.open(link, 'url');
  // Telegram may add statuses; anything unknown is reported as a failure rather than guessed at.
  return status === 'paid' || status === 'cancelled' || status === 'pending' ? status : 'failed';
}
