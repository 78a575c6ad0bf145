// Wallet → "Buy with Stars": the packs with what each buys at the operator's rate (shown before buying), then
// Telegram's payment sheet (the emulator's in local mode), then paid / cancelled / failed, and the credit.
import type { MeView, StarsOffer } from '@cocoon/shared';
import { useStarsOffer } from '../api/hooks';
import { ErrorState, QueryView } from '../components/states';
import { Button, Section } from '../components/ui';
import { tonText } from '../format';
import { isTelegramMocked } from '../telegram/environment';
import { PaymentSheet } from './PaymentSheet';
import { type CheckoutState, useStarsCheckout } from './useStarsCheckout';

const DAY_MS = 86_400_000;

function footerText(offer: StarsOffer | undefined): string {
  const base = 'Stars credit pays for jobs only and is never withdrawable as TON.';
  if (!offer) return base;
  const days = Math.round(offer.refundWindowMs / DAY_MS);
  return `${base} A purchase none of whose credit was spent can be refunded within ${days} day${days === 1 ? '' : 's'}.`;
}

function CheckoutStatus({ state, localSheet }: { state: CheckoutState; localSheet: boolean }) {
  if (state.kind === 'error') return <ErrorState error={state.error} testId="stars-error" />;
  const text: Partial<Record<CheckoutState['kind'], string>> = {
    creating: 'Making the invoice…',
    open: localSheet ? 'Confirm the payment in the sheet…' : 'Pay in Telegram’s payment sheet…',
    crediting: 'Paid. Crediting your balance…',
    paid: 'Paid. The credit shows here once the payment is confirmed.',
    pending: 'The payment is processing: the credit shows here once Telegram confirms it.',
    cancelled: 'Cancelled: nothing was charged.',
  };
  const line =
    state.kind === 'credited'
      ? `Paid: ${tonText(state.purchase.nano)} of Stars credit added.`
      : state.kind === 'failed'
        ? `Payment failed: ${state.reason}`
        : text[state.kind];
  if (!line) return null;
  const tone =
    state.kind === 'credited' ? 'text-ok' : state.kind === 'failed' ? 'text-destructive' : 'text-hint';
  return (
    <p className={`pt-2 text-[13px] ${tone}`} data-testid="stars-status" data-state={state.kind}>
      {line}
    </p>
  );
}

function Packs({ offer, busy, buy }: { offer: StarsOffer; busy: boolean; buy: (stars: number) => void }) {
  return (
    <>
      <p className="text-[15px]" data-testid="stars-rate">
        1 ⭐ buys {tonText(offer.rateNanoPerStar)} of compute
      </p>
      <div className="grid grid-cols-3 gap-2 pt-2">
        {offer.packs.map((p) => (
          <Button
            key={p.stars}
            variant="secondary"
            className="flex-col py-1"
            data-testid={`stars-pack-${p.stars}`}
            disabled={busy}
            onClick={() => buy(p.stars)}
          >
            <span>{p.stars} ⭐</span>
            <span className="text-[12px] font-normal text-hint tabular">{tonText(p.nano)}</span>
          </Button>
        ))}
      </div>
    </>
  );
}

export function BuyStars({ me }: { me: MeView | undefined }) {
  const offer = useStarsOffer();
  // Outside Telegram (local mode's mocked environment) there is no payment sheet: the emulator's stands in.
  const localSheet = isTelegramMocked();
  const { state, buy, closed } = useStarsCheckout(localSheet);
  const busy = state.kind === 'creating' || state.kind === 'open' || state.kind === 'crediting';
  return (
    <Section title="Buy with Stars" testId="buy-stars" footer={footerText(offer.data)}>
      <QueryView query={offer} rows={2}>
        {(o) => <Packs offer={o} busy={busy} buy={(stars) => void buy(stars)} />}
      </QueryView>
      <CheckoutStatus state={state} localSheet={localSheet} />
      {
        // Inline condition so production builds drop the emulator's sheet entirely.
        (import.meta.env.DEV || import.meta.env.VITE_COCOON_LOCAL === '1') &&
          localSheet &&
          state.kind === 'open' &&
          me && (
            <PaymentSheet
              link={state.invoice.invoiceLink}
              userId={Number(me.telegramId)}
              onClose={(status, reason) => void closed(state.invoice, status, reason)}
            />
          )
      }
    </Section>
  );
}
