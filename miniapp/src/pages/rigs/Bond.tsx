// Standing in the market: probation (every job audited), then a bond that caps the rig's unaudited work and
// pays its victims back if an audit proves it wrong. The operator's own rigs need neither.
import type { RigView } from '@cocoon/shared';
import { useState } from 'react';
import { errorMessage } from '../../api/errors';
import { useAddBond, useWithdrawBond } from '../../api/hooks';
import { AmountField } from '../../components/AmountField';
import { Button } from '../../components/ui';
import { parseTonInput, shortDate, tonText } from '../../format';

/** Where the rig stands, in a sentence. */
export function standing(rig: RigView): string {
  const capped = rig.probationJobsLeft === 0 && BigInt(rig.exposureNano) >= BigInt(rig.bondNano);
  if (rig.probationJobsLeft > 0)
    return `Probation: its next ${rig.probationJobsLeft} jobs are all audited by other rigs; no bond needed yet.`;
  if (rig.bondWithdrawableAt)
    return 'Off the market while its bond is asked back: no new jobs, and no audits, on a bond that is leaving.';
  if (capped)
    return 'Paused by its bond: its unaudited work has reached the bond. It gets jobs again after its next passed audit or a bigger bond.';
  return 'In the market: a share of its jobs is audited by other rigs.';
}

function BondForm({ rig }: { rig: RigView }) {
  const add = useAddBond();
  const withdraw = useWithdrawBond();
  const [value, setValue] = useState('');
  const nano = parseTonInput(value);
  const error = add.error ?? withdraw.error;
  return (
    <>
      <form
        className="pt-1.5"
        onSubmit={(e) => {
          e.preventDefault();
          if (!nano) return;
          add.mutate({ id: rig.id, amountNano: nano }, { onSuccess: () => setValue('') });
        }}
      >
        <AmountField
          label="Add to the bond from your balance · TON"
          value={value}
          onChange={setValue}
          inputTestId="bond-input"
          action="Add"
          actionTestId="bond-add"
          variant="secondary"
          enabled={Boolean(nano)}
          busy={add.isPending}
        >
          {BigInt(rig.bondNano) > 0n && (
            <Button
              variant="secondary"
              busy={withdraw.isPending}
              data-testid="bond-withdraw"
              onClick={() => withdraw.mutate(rig.id)}
            >
              {rig.bondWithdrawableAt ? 'Withdraw' : 'Ask it back'}
            </Button>
          )}
        </AmountField>
      </form>
      {error && (
        <p role="alert" className="pt-1 text-destructive">
          {errorMessage(error)}
        </p>
      )}
    </>
  );
}

export function Bond({ rig }: { rig: RigView }) {
  if (rig.operator)
    return (
      <p className="mt-2 text-[13px] text-hint" data-testid="rig-operator">
        The operator's own rig: no probation, no bond.
      </p>
    );
  const short = BigInt(rig.bondRequiredNano) - BigInt(rig.bondNano);
  return (
    <div className="mt-3 text-[13px]" data-testid="rig-bond">
      <h3 className="font-medium text-hint">Standing</h3>
      <p className="pt-1" data-testid="rig-standing">
        {standing(rig)}
      </p>
      <p className="pt-1 tabular">
        Bond {tonText(rig.bondNano)} of {tonText(rig.bondRequiredNano)} · unaudited work{' '}
        {tonText(rig.exposureNano)}
        {short > 0n && rig.probationJobsLeft === 0 && ' · the shortfall is kept from its earnings'}
      </p>
      {rig.bondWithdrawableAt && (
        <p className="pt-1 text-hint">
          Bond back from {shortDate(rig.bondWithdrawableAt)} (if no audit is open).
        </p>
      )}
      <BondForm rig={rig} />
    </div>
  );
}
