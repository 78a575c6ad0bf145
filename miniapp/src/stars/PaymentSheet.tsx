// Local mode only: the Bot API emulator's payment sheet, standing in for Telegram's. It reads the invoice
// behind the link (GET /invoice/:slug) and pays it as the local user (POST /invoice/:slug/pay), which runs the
// real flow: the emulator asks the bot (pre_checkout_query), charges the user's emulated Stars and sends the
// bot successful_payment. Render it only behind an inline local-mode condition so production builds drop it.
import { useEffect, useState } from 'react';
import { errorMessage } from '../api/errors';
import { Button, Spinner } from '../components/ui';
import type { InvoiceStatus } from './telegram-invoice';

interface SheetInvoice {
  title: string;
  description: string;
  totalAmount: number;
}
type PayAnswer = { status: 'paid' } | { status: 'failed'; reason: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const asInvoice = (v: unknown): SheetInvoice | null =>
  isRecord(v) &&
  typeof v.title === 'string' &&
  typeof v.description === 'string' &&
  Number.isSafeInteger(v.totalAmount) &&
  (v.totalAmount as number) > 0
    ? (v as unknown as SheetInvoice)
    : null;
const asPayAnswer = (v: unknown): PayAnswer | null =>
  isRecord(v) && (v.status === 'paid' || (v.status === 'failed' && typeof v.reason === 'string'))
    ? (v as PayAnswer)
    : null;

/** The emulator's answer, checked by `check`; its `{ error }` message when it refused. */
async function sheetCall<T>(url: string, check: (v: unknown) => T | null, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const message = isRecord(body) ? body.error : undefined;
    throw new Error(typeof message === 'string' ? message : `the emulator answered HTTP ${res.status}`);
  }
  const checked = check(body);
  if (!checked) throw new Error('the emulator answered something that is not a payment sheet answer');
  return checked;
}

export function PaymentSheet({
  link,
  userId,
  onClose,
}: {
  link: string;
  userId: number;
  onClose: (status: InvoiceStatus, reason?: string) => void;
}) {
  const [invoice, setInvoice] = useState<SheetInvoice | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [paying, setPaying] = useState(false);
  useEffect(() => {
    let live = true;
    sheetCall(link, asInvoice)
      .then((i) => live && setInvoice(i))
      .catch((err) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [link]);

  async function pay() {
    setPaying(true);
    try {
      const answer = await sheetCall(`${link}/pay`, asPayAnswer, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId }),
      });
      if (answer.status === 'paid') onClose('paid');
      else onClose('failed', answer.reason);
    } catch (err) {
      onClose('failed', errorMessage(err));
    }
  }

  return (
    <div
      role="dialog"
      aria-modal="true"
      aria-label="Payment"
      data-testid="emulator-payment-sheet"
      className="fixed inset-0 z-50 flex items-end justify-center bg-black/40"
    >
      <div className="w-full max-w-[480px] rounded-t-2xl bg-section p-4">
        <p className="text-[12px] text-hint">Local network: the Bot API emulator's payment sheet</p>
        {error ? (
          <p role="alert" className="pt-2 text-[15px] text-destructive" data-testid="sheet-error">
            {error}
          </p>
        ) : invoice ? (
          <div className="pt-2">
            <h2 className="text-[17px] font-medium">{invoice.title}</h2>
            <p className="pt-1 text-[14px] text-hint">{invoice.description}</p>
          </div>
        ) : (
          <Spinner label="Loading the invoice" />
        )}
        <div className="flex gap-2 pt-4">
          <Button
            variant="secondary"
            className="flex-1"
            data-testid="sheet-cancel"
            disabled={paying}
            onClick={() => onClose('cancelled')}
          >
            Cancel
          </Button>
          <Button
            className="flex-1"
            data-testid="sheet-pay"
            disabled={!invoice}
            busy={paying}
            onClick={() => void pay()}
          >
            {invoice ? `Pay ${invoice.totalAmount} ⭐` : 'Pay'}
          </Button>
        </div>
      </div>
    </div>
  );
}
