// Where the on-chain account's current action stands: in the wallet, waiting for the chain, sent, or failed.
import { ErrorState } from '../components/states';
import { REGISTER_TRIES, type Step } from './useAccountSteps';

export function StepStatus({ step }: { step: Step }) {
  return (
    <>
      {step.kind === 'wallet' && (
        <p className="pt-2 text-[13px] text-hint" data-testid="onchain-progress">
          {step.what}
        </p>
      )}
      {step.kind === 'registering' && (
        <p className="pt-2 text-[13px] text-hint" data-testid="onchain-progress">
          Waiting for the chain{step.attempt > 1 ? ` (try ${step.attempt} of ${REGISTER_TRIES})` : ''}…
        </p>
      )}
      {step.kind === 'sent' && (
        <p className="pt-2 text-[13px] text-ok" data-testid="onchain-sent">
          {step.what}
        </p>
      )}
      {step.kind === 'error' && <ErrorState error={step.error} testId="onchain-step-error" />}
    </>
  );
}
