// On-chain accounts in the Mini App (docs/on-chain-accounts.md): opening an account contract of their own from
// their wallet (deposit + spend key, one TON Connect transaction), whether this device can sign its jobs'
// vouchers, depositing more, and the exit that needs no proxy. The TON code (message bodies, @ton/core) loads
// from ./messages only when a transaction is sent (useAccountSteps).
import type { OnchainAccountView, OnchainConfig } from '@cocoon/shared';
import { useMe, useOnchainAccount, useOnchainConfig } from '../api/hooks';
import { ErrorState } from '../components/states';
import { Section } from '../components/ui';
import { AccountView } from './AccountView';
import { OpenAccount } from './OpenAccount';
import { useAccountSteps } from './useAccountSteps';

/** The Wallet page's on-chain account section (inside TonConnectScope). */
export function OnchainAccountSection() {
  const config = useOnchainConfig();
  const enabled = config.data?.enabled === true;
  const view = useOnchainAccount(enabled);
  const me = useMe();
  if (!enabled || !me.data) return null;
  return (
    <Section
      title="On-chain account"
      testId="onchain"
      footer="Your own contract on TON: the operator can claim from it only what your spend key signed for, one job at a time."
    >
      {view.isError ? (
        <ErrorState error={view.error} onRetry={() => void view.refetch()} testId="onchain-error" />
      ) : !view.data ? (
        <p className="text-[13px] text-hint">Loading…</p>
      ) : (
        <OnchainBody config={config.data!} view={view.data} userId={me.data.telegramId} />
      )}
    </Section>
  );
}

function OnchainBody({
  config,
  view,
  userId,
}: {
  config: OnchainConfig;
  view: OnchainAccountView;
  userId: string;
}) {
  if (!view.wallet || !view.account)
    return (
      <p className="text-[13px] text-hint" data-testid="onchain-needs-wallet">
        Bind a wallet above (TON Connect) to open an on-chain account: the contract belongs to that wallet.
      </p>
    );
  return <AccountSteps config={config} view={view} account={view.account} userId={userId} />;
}

function AccountSteps({
  config,
  view,
  account,
  userId,
}: {
  config: OnchainConfig;
  view: OnchainAccountView;
  account: NonNullable<OnchainAccountView['account']>;
  userId: string;
}) {
  const steps = useAccountSteps(config, account, userId);
  return view.registered ? (
    <AccountView view={view} account={account} config={config} steps={steps} />
  ) : (
    <OpenAccount account={account} steps={steps} />
  );
}
