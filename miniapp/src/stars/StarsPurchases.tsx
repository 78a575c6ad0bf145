// The user's Stars purchases: what each bought, at what rate, how much is spent, and a Refund button for one
// that can be refunded (Telegram refunds a whole charge, so only a wholly unspent one, within the window);
// for the others, why not.
import type { StarsPurchaseView } from '@cocoon/shared';
import { useRefundStarsPurchase, useStarsPurchases } from '../api/hooks';
import { ErrorState, QueryList } from '../components/states';
import { Badge, Button, Section } from '../components/ui';
import { shortDate, tonText } from '../format';
import { haptic } from '../telegram/ui';

const STATE_TONE: Record<StarsPurchaseView['state'], 'ok' | 'off' | 'warn' | 'info'> = {
  pending: 'info',
  paid: 'ok',
  refunded: 'off',
  reversed: 'warn',
};

function PurchaseRow({
  purchase: p,
  refund,
}: {
  purchase: StarsPurchaseView;
  refund: ReturnType<typeof useRefundStarsPurchase>;
}) {
  const ask = () => {
    if (
      !confirm(`Refund ${p.stars} ⭐? Telegram returns the Stars, and ${tonText(p.nano)} of credit leaves.`)
    )
      return;
    refund.mutate(p.id, { onSuccess: () => haptic('success'), onError: () => haptic('error') });
  };
  return (
    <li
      className="border-b border-separator py-2 last:border-0"
      data-testid="stars-purchase"
      data-state={p.state}
    >
      <div className="flex items-center justify-between gap-2">
        <span className="text-[15px] tabular">
          {p.stars} ⭐ · {tonText(p.nano)}
        </span>
        <Badge tone={STATE_TONE[p.state]}>{p.state}</Badge>
      </div>
      <div className="flex flex-wrap justify-between gap-x-3 text-[13px] text-hint tabular">
        <span>{shortDate(p.paidAt ?? p.createdAt)}</span>
        <span>1 ⭐ = {tonText(p.rateNanoPerStar)}</span>
        <span data-testid="stars-spent">spent {tonText(p.spentNano)}</span>
      </div>
      {p.refundable ? (
        <Button
          variant="secondary"
          className="mt-1"
          data-testid="stars-refund"
          busy={refund.isPending && refund.variables === p.id}
          onClick={ask}
        >
          Refund{p.refundableUntil ? ` (until ${shortDate(p.refundableUntil)})` : ''}
        </Button>
      ) : (
        p.notRefundableReason && (
          <p className="pt-0.5 text-[13px] text-hint" data-testid="stars-not-refundable">
            No refund: {p.notRefundableReason}
          </p>
        )
      )}
    </li>
  );
}

export function StarsPurchases() {
  const purchases = useStarsPurchases();
  const refund = useRefundStarsPurchase();
  return (
    <Section title="Stars purchases" testId="stars-purchases">
      <QueryList
        query={purchases}
        rows={2}
        // An invoice never paid is no purchase to the user.
        items={(d) => d.purchases.filter((p) => p.state !== 'pending')}
        empty="No Stars purchases yet."
      >
        {(list) => (
          <ul>
            {list.map((p) => (
              <PurchaseRow key={p.id} purchase={p} refund={refund} />
            ))}
          </ul>
        )}
      </QueryList>
      {refund.isError && <ErrorState error={refund.error} testId="stars-refund-error" />}
    </Section>
  );
}
