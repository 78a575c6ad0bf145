// Opening an on-chain account: this device makes a spend key, the wallet deposits and authorizes it in one
// transaction, then the proxy is told to pay the user's jobs from it.
import type { OnchainAccountView } from '@cocoon/shared';
import { useState } from 'react';
import { TonAmountInput } from '../components/AmountField';
import { Button } from '../components/ui';
import { parseTonInput, shortAddress, tonText } from '../format';
import { StepStatus } from './StepStatus';
import type { useAccountSteps } from './useAccountSteps';

export function OpenAccount({
  account,
  steps,
}: {
  account: NonNullable<OnchainAccountView['account']>;
  steps: ReturnType<typeof useAccountSteps>;
}) {
  const [amount, setAmount] = useState('1');
  const nano = parseTonInput(amount);
  // Deployed with this device's key already (an open whose registration failed): only register.
  const finish = account.deployed && account.spendKey !== null && steps.seedHere !== null;
  const label = !steps.wallet
    ? 'Connect wallet'
    : finish
      ? 'Pay my jobs from this account'
      : `Open on-chain account with ${nano ? tonText(nano) : '…'}`;
  return (
    <div data-testid="onchain-open">
      <p className="pb-2 text-[13px] text-hint">
        Keep your money in a contract of your own instead of the operator’s ledger. This device makes a spend
        key; your wallet deposits and authorizes it in one transaction. Each job is then paid by a voucher
        this device signs, and only what you signed can be claimed.
      </p>
      {!finish && <TonAmountInput value={amount} onChange={setAmount} testId="onchain-amount" />}
      <StepStatus step={steps.step} />
      <div className="pt-2">
        <Button
          className="w-full"
          data-testid="onchain-open-submit"
          busy={steps.busy}
          disabled={!finish && !nano}
          onClick={() => void (finish ? steps.register() : nano && steps.open(nano))}
        >
          {label}
        </Button>
      </div>
      <p className="pt-2 text-[12px] text-hint">
        Account {shortAddress(account.address)} · plus 0.05 TON for the spend key message; 0.06 TON of the
        first deposit stays as the contract’s reserve and gas.
      </p>
    </div>
  );
}
