// What the user has: available for jobs, withdrawable, trial credit, Stars credit, held, and where jobs are paid from.
import type { MeView } from '@cocoon/shared';
import type { UseQueryResult } from '@tanstack/react-query';
import { QueryView } from '../../components/states';
import { TonRows } from '../../components/TonRows';
import { Section } from '../../components/ui';
import { BalanceKind } from '../../onchain-accounts/BalanceKind';
import { availableForJobsNano, StarsReceivable } from '../../stars/StarsCredit';

export function BalanceSection({ me }: { me: UseQueryResult<MeView> }) {
  return (
    <Section
      title="Balance"
      footer="Trial credit and Stars credit pay for jobs only; they can't be withdrawn."
    >
      <QueryView query={me} rows={4}>
        {(m) => (
          <>
            <TonRows
              rows={[
                ['Available for jobs', availableForJobsNano(m), 'wallet-balance'],
                ['Withdrawable', m.withdrawableNano, 'wallet-withdrawable'],
                ['Trial credit (jobs only)', m.trialNano, 'wallet-trial'],
                ['Stars credit (jobs only)', m.starsNano ?? '0', 'wallet-stars'],
                ['Held for running jobs', m.heldNano],
              ]}
            />
            <StarsReceivable me={m} />
            <BalanceKind me={m} />
          </>
        )}
      </QueryView>
    </Section>
  );
}
