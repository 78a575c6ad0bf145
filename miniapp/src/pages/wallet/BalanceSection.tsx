// What the user has: available for jobs, withdrawable, trial credit, Stars credit, held, and where jobs are paid from.
import type { MeView } from '@cocoon/shared';
import type { UseQueryResult } from '@tanstack/react-query';
import { QueryView } from '../../components/states';
import { Row, Section } from '../../components/ui';
import { tonText } from '../../format';
import { BalanceKind } from '../../onchain-accounts/BalanceKind';
import { StarsCredit } from '../../stars/StarsCredit';

export function BalanceSection({ me }: { me: UseQueryResult<MeView> }) {
  return (
    <Section
      title="Balance"
      footer="Trial credit and Stars credit pay for jobs only; they can't be withdrawn."
    >
      <QueryView query={me} rows={4}>
        {(m) => (
          <>
            <Row label="Available for jobs" testId="wallet-balance">
              {tonText(m.balanceNano)}
            </Row>
            <Row label="Withdrawable" testId="wallet-withdrawable">
              {tonText(m.withdrawableNano)}
            </Row>
            <Row label="Trial credit (jobs only)" testId="wallet-trial">
              {tonText(m.trialNano)}
            </Row>
            <StarsCredit me={m} layout="row" />
            <Row label="Held for running jobs">{tonText(m.heldNano)}</Row>
            <BalanceKind me={m} />
          </>
        )}
      </QueryView>
    </Section>
  );
}
