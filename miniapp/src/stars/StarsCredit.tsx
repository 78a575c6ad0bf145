// Stars credit shown apart (Home and Wallet): spendable on jobs, never withdrawable; and what a charge
// Telegram reversed after its credit was spent still owes (new jobs are refused until it is settled).
import type { MeView } from '@cocoon/shared';
import { tonText } from '../format';

const RECEIVABLE_NOTE =
  'owed for a Stars payment Telegram reversed after its credit was spent: new jobs wait until it is paid (your next Stars purchase pays it first).';

/**
 * What the user can spend on jobs: the proxy's `balanceNano` (withdrawable + trial credit) and Stars credit,
 * which pays for jobs too but is kept apart because it is never withdrawable.
 */
export function availableForJobsNano(me: MeView): bigint {
  return BigInt(me.balanceNano) + BigInt(me.starsNano ?? '0');
}

/** What a reversed Stars charge still owes, when it owes anything. */
export function StarsReceivable({ me }: { me: MeView }) {
  const nano = BigInt(me.receivableNano ?? '0');
  if (nano === 0n) return null;
  return (
    <p role="alert" className="pt-1 text-[13px] text-destructive" data-testid="stars-receivable">
      {tonText(nano)} {RECEIVABLE_NOTE}
    </p>
  );
}

/** A line under Home's balance, when there is any Stars credit (Wallet has it as a balance row). */
export function StarsCredit({ me }: { me: MeView }) {
  const stars = BigInt(me.starsNano ?? '0');
  return (
    <>
      {stars > 0n && <div data-testid="stars-credit">Stars credit: {tonText(stars)} · jobs only</div>}
      <StarsReceivable me={me} />
    </>
  );
}
