// Connect a TON wallet and bind it to the account by ton_proof; a change of the bound wallet waits out a
// cooling-off period (PendingWalletChange).
import type { MeView, WalletState } from '@cocoon/shared';
import { TonConnectButton, useTonWallet } from '@tonconnect/ui-react';
import { errorMessage } from '../../api/errors';
import { ErrorState } from '../../components/states';
import { Button, Section } from '../../components/ui';
import { shortAddress, shortDate } from '../../format';
import { SandboxConnectButton } from '../../wallet/SandboxConnectButton';
import { useTonProofBinding } from '../../wallet/useTonProofBinding';
import { boundWallet } from './bound-wallet';
import { PendingWalletChange } from './PendingWalletChange';

function BoundWallet({ bound }: { bound: string | null }) {
  return (
    <div className="flex min-h-10 items-center justify-between gap-2">
      <div className="min-w-0 text-[15px]">
        {bound ? (
          <>
            <span className="text-hint">Bound: </span>
            <span data-testid="bound-wallet" className="font-mono text-[13px]" title={bound}>
              {shortAddress(bound)}
            </span>
          </>
        ) : (
          <span className="text-hint">No wallet bound yet</span>
        )}
      </div>
      <TonConnectButton />
    </div>
  );
}

/** How the binding went: verifying, pending a change, refused, or connected without a proof. */
function BindingState({
  binding: { bind, payloadError, tonConnectUI },
  proofMissing,
}: {
  binding: ReturnType<typeof useTonProofBinding>;
  proofMissing: boolean;
}) {
  // 202: the proxy accepted a change of the bound wallet, effective after the cooling-off period.
  const bindPending = bind.isSuccess && bind.data.pendingWallet !== null;
  return (
    <>
      {bind.isPending && <p className="pt-2 text-[13px] text-hint">Verifying wallet ownership…</p>}
      {bindPending && (
        <p className="pt-2 text-[13px] text-hint" data-testid="bind-pending">
          Wallet change requested, not bound yet: for your safety it takes effect on{' '}
          {shortDate(bind.data.pendingWalletAt)}, and withdrawals wait until then.
        </p>
      )}
      {bind.isError && (
        <div className="pt-2">
          <ErrorState error={bind.error} testId="bind-error" />
          <Button variant="secondary" className="mt-1" onClick={() => void tonConnectUI.disconnect()}>
            Disconnect and try again
          </Button>
        </div>
      )}
      {proofMissing && !bind.isPending && !bind.isSuccess && !bind.isError && (
        <p className="pt-2 text-[13px] text-hint">
          This wallet connected without a proof of ownership.{' '}
          <button type="button" className="text-link" onClick={() => void tonConnectUI.disconnect()}>
            Disconnect
          </button>{' '}
          and connect again to bind it.
        </p>
      )}
      {payloadError !== null && (
        <p className="pt-2 text-[13px] text-destructive">
          Wallet binding unavailable: {errorMessage(payloadError)}
        </p>
      )}
    </>
  );
}

export function ConnectSection({
  me,
  walletState,
}: {
  me: MeView | undefined;
  walletState: WalletState | undefined;
}) {
  const binding = useTonProofBinding();
  const wallet = useTonWallet();
  const bound = boundWallet(me, walletState);
  return (
    <Section
      title="TON wallet"
      footer="Withdrawals go only to the wallet you prove you own (TON Connect ton_proof)."
      testId="wallet-connect"
    >
      <BoundWallet bound={bound} />
      {
        // Inline condition so production builds drop the sandbox wallet entirely (see SandboxConnectButton).
        (import.meta.env.DEV || import.meta.env.VITE_COCOON_LOCAL === '1') && (
          <SandboxConnectButton connectRequest={binding.connectRequest} />
        )
      }
      {walletState?.pendingWallet && <PendingWalletChange state={walletState} />}
      <BindingState binding={binding} proofMissing={Boolean(wallet && me && !bound)} />
    </Section>
  );
}
