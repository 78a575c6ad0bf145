// Which kind of balance a user has (Home and Wallet): the custodial ledger's (held by the operator), and the
// on-chain account's when their jobs are paid from it (their own contract). No TON code here.
import type { MeView } from '@cocoon/shared';
import { useOnchainAccount, useOnchainConfig } from '../api/hooks';
import { TonRows } from '../components/TonRows';
import { Badge } from '../components/ui';
import { tonText } from '../format';

const CUSTODIAL_NOTE =
  'Custodial: held by the Cocoon operator in its ledger; it pays your jobs and withdrawals go to your bound wallet.';
const ONCHAIN_NOTE =
  'On-chain account: your own contract on TON. Money leaves it only against your spend key’s signatures (one voucher per job), and you can exit without the proxy.';

/**
 * Which kind of balance the user has (Home and Wallet): the custodial ledger's, and the on-chain account's
 * when jobs are paid from it (spendable on jobs now, available on chain, signed for so far).
 */
export function BalanceKind({ me }: { me: MeView | undefined }) {
  const config = useOnchainConfig();
  const enabled = config.data?.enabled === true;
  const view = useOnchainAccount(enabled);
  const onchain = enabled && view.data?.registered ? view.data : null;
  return (
    <div className="flex flex-col gap-1 pt-2 text-[13px]" data-testid="balance-kind">
      <div className="flex items-center gap-1.5">
        <Badge tone={onchain ? 'off' : 'info'}>custodial</Badge>
        {onchain && <Badge tone="ok">on-chain account</Badge>}
      </div>
      {onchain?.account ? (
        <>
          <p className="text-hint" data-testid="balance-kind-onchain">
            {ONCHAIN_NOTE}
          </p>
          <TonRows
            rows={[
              ['On chain: spendable on jobs', onchain.mirrorNano, 'onchain-mirror'],
              ['On chain: available in your contract', onchain.account.available, 'onchain-available'],
              ['Signed for so far (vouchers)', onchain.voucheredNano, 'onchain-vouchered'],
            ]}
          />
          {me && (
            <p className="text-hint" data-testid="balance-kind-custodial">
              Custodial balance besides: {tonText(me.balanceNano)} (trial credit and deposits to the service
              wallet).
            </p>
          )}
        </>
      ) : (
        <p className="text-hint" data-testid="balance-kind-custodial">
          {CUSTODIAL_NOTE}
          {enabled && ' With a bound wallet you can open an on-chain account instead (Wallet).'}
        </p>
      )}
    </div>
  );
}
