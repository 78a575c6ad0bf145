// Stars credit shown apart (Home and Wallet): spendable on jobs, never withdrawable; and what a charge
// Telegram reversed after its credit was spent still owes (new jobs are refused until it is settled).
import type { MeView } from '@cocoon/shared';
import { Row } from '../components/ui';
import { tonText } from '../format';

const RECEIVABLE_NOTE =
  'owed for a Stars payment Telegram reversed after its credit was spent: new jobs wait until it is paid (your next Stars purchase pays it first).';

function Receivable({ nano }: { nano: bigint }) {
  if (nano === 0n) return null;
  return (
    <p role="alert" className="pt-1 text-[13px] text-destructive" data-testid="stars-receivable">
      {tonText(nano)} {RECEIVABLE_NOTE}
    </p>
  );
}

/** `row`: a Wallet balance row (always there); `line`: a line under Home's balance (only when there is some). */
export function StarsCredit({ me, layout }: { me: MeView; layout: 'row' | 'line' }) {
  const stars = BigInt(me.starsNano ?? '0');
  const receivable = BigInt(me.receivableNano ?? '0');
  return (
    <>
      {layout === 'row' ? (
        <Row label="Stars credit (jobs only)" testId="wallet-stars">
          {tonText(stars)}
        </Row>
      ) : (
        stars > 0n && <div data-testid="stars-credit">Stars credit: {tonText(stars)} · jobs only</div>
      )}
      <Receivable nano={receivable} />
    </>
  );
}
