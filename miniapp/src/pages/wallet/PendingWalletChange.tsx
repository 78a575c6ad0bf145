// A change of the bound wallet waiting out its cooling-off period, with a way to cancel it.
import type { WalletState } from '@cocoon/shared';
import { useCancelWalletChange } from '../../api/hooks';
import { ErrorState } from '../../components/states';
import { Button } from '../../components/ui';
import { shortAddress, shortDate } from '../../format';
import { haptic } from '../../telegram/ui';

export function PendingWalletChange({ state }: { state: WalletState }) {
  const cancel = useCancelWalletChange();
  return (
    <div
      className="mt-2 rounded-lg border border-destructive/40 bg-destructive/10 p-2 text-[13px]"
      data-testid="pending-wallet"
      role="alert"
    >
      <p>
        Withdrawal wallet changing to{' '}
        <span className="font-mono" title={state.pendingWallet ?? undefined}>
          {state.pendingWallet ? shortAddress(state.pendingWallet) : ''}
        </span>{' '}
        on <span data-testid="pending-wallet-at">{shortDate(state.pendingWalletAt)}</span>; withdrawals wait
        until then. If this wasn't you, cancel it.
      </p>
      <Button
        variant="secondary"
        className="mt-1"
        data-testid="cancel-wallet-change"
        busy={cancel.isPending}
        onClick={() =>
          cancel.mutate(undefined, { onSuccess: () => haptic('success'), onError: () => haptic('error') })
        }
      >
        Cancel change
      </Button>
      {cancel.isError && <ErrorState error={cancel.error} testId="cancel-wallet-change-error" />}
    </div>
  );
}
