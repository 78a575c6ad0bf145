// Buying Stars credit: make the invoice (with its link), open it (Telegram's payment sheet, or the emulator's
// in local mode), then wait for the credit. Each step is a state the page shows.
import type { StarsInvoice, StarsPurchaseView } from '@cocoon/shared';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useGetClient } from '../api/client';
import { keys, useCreateStarsInvoice } from '../api/hooks';
import { haptic } from '../telegram/ui';
import { type InvoiceStatus, openTelegramInvoice } from './telegram-invoice';
import { waitForCredit } from './wait-for-credit';

export type CheckoutState =
  | { kind: 'idle' }
  | { kind: 'creating'; stars: number }
  /** The payment sheet is open (Telegram's, or the emulator's in local mode). */
  | { kind: 'open'; invoice: StarsInvoice & { invoiceLink: string } }
  /** Paid; waiting for the proxy to confirm the charge and credit it. */
  | { kind: 'crediting'; invoice: StarsInvoice }
  | { kind: 'credited'; purchase: StarsPurchaseView }
  /** Paid, but not credited yet when polling stopped. */
  | { kind: 'paid'; invoice: StarsInvoice }
  | { kind: 'pending' }
  | { kind: 'cancelled' }
  | { kind: 'failed'; reason: string }
  | { kind: 'error'; error: unknown };

/** `localSheet`: the page shows the emulator's payment sheet itself and reports how it closed. */
export function useStarsCheckout(localSheet: boolean) {
  const create = useCreateStarsInvoice();
  const getClient = useGetClient();
  const qc = useQueryClient();
  const [state, setState] = useState<CheckoutState>({ kind: 'idle' });
  const unmounted = useRef(new AbortController());
  useEffect(() => {
    const controller = new AbortController();
    unmounted.current = controller;
    return () => controller.abort();
  }, []);
  const refresh = () => {
    for (const queryKey of [keys.me, keys.ledger, keys.starsPurchases])
      void qc.invalidateQueries({ queryKey });
  };

  /** How the sheet closed: a payment is credited shortly after Telegram says "paid". */
  async function closed(invoice: StarsInvoice, status: InvoiceStatus, reason?: string): Promise<void> {
    if (status === 'cancelled') return setState({ kind: 'cancelled' });
    if (status === 'pending') return setState({ kind: 'pending' });
    if (status === 'failed') {
      haptic('error');
      return setState({ kind: 'failed', reason: reason ?? 'Telegram refused the payment.' });
    }
    haptic('success');
    setState({ kind: 'crediting', invoice });
    const purchase = await waitForCredit(getClient, invoice.purchaseId, refresh, unmounted.current.signal);
    refresh();
    setState(purchase ? { kind: 'credited', purchase } : { kind: 'paid', invoice });
  }

  async function buy(stars: number): Promise<void> {
    setState({ kind: 'creating', stars });
    try {
      const invoice = await create.mutateAsync(stars);
      const link = invoice.invoiceLink;
      if (!link) throw new Error('The proxy made no invoice link: it may not be set up for Stars.');
      setState({ kind: 'open', invoice: { ...invoice, invoiceLink: link } });
      if (localSheet) return; // the emulator's sheet calls closed()
      await closed(invoice, await openTelegramInvoice(link));
    } catch (error) {
      haptic('error');
      setState({ kind: 'error', error });
    }
  }

  return { state, buy, closed };
}
