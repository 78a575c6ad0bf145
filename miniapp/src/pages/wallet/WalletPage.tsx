// Wallet: buy credit with Telegram Stars; connect a TON wallet (bound to the account by ton_proof), deposit,
// withdraw; the ledger. Trial and Stars credit pay for jobs only; only the withdrawable part can leave.
// Each card is a file of this folder (the Stars ones of stars/).
import { useMe, useTonConfig, useWalletState } from '../../api/hooks';
import { PageHeader } from '../../components/PageHeader';
import { OnchainAccountSection } from '../../onchain-accounts/OnchainAccount';
import { BuyStars } from '../../stars/BuyStars';
import { StarsPurchases } from '../../stars/StarsPurchases';
import { TonConnectScope } from '../../wallet/TonConnectScope';
import { BalanceSection } from './BalanceSection';
import { ConnectSection } from './ConnectSection';
import { DepositSection } from './DepositSection';
import { LedgerSection } from './LedgerSection';
import { WithdrawalsSection } from './WithdrawalsSection';
import { WithdrawSection } from './WithdrawSection';

export function WalletPage() {
  const me = useMe();
  const config = useTonConfig();
  const walletState = useWalletState();
  return (
    <>
      <PageHeader title="Wallet" />
      <BalanceSection me={me} />
      <BuyStars me={me.data} />
      <StarsPurchases />
      <TonConnectScope>
        <ConnectSection me={me.data} walletState={walletState.data} />
        <DepositSection me={me.data} config={config.data} configError={config.error} />
        <WithdrawSection me={me.data} config={config.data} walletState={walletState.data} />
        <OnchainAccountSection />
      </TonConnectScope>
      <WithdrawalsSection />
      <LedgerSection />
    </>
  );
}
