// A registered on-chain account: its contract and balances, whether this device signs its jobs' vouchers
// (else authorizing a new spend key here), depositing more, and the exit.
import type { OnchainAccountView, OnchainConfig } from '@cocoon/shared';
import { useState } from 'react';
import { TonAmountInput } from '../components/AmountField';
import { TonRows } from '../components/TonRows';
import { Button, Row } from '../components/ui';
import { parseTonInput, shortAddress, tonText } from '../format';
import { delayText } from './delay';
import { ExitPanel } from './ExitPanel';
import { StepStatus } from './StepStatus';
import type { useAccountSteps } from './useAccountSteps';

type Steps = ReturnType<typeof useAccountSteps>;
type Account = NonNullable<OnchainAccountView['account']>;

function Balances({ view, account }: { view: OnchainAccountView; account: Account }) {
  return (
    <>
      <Row label="Contract">
        <span className="font-mono text-[13px]" title={account.address} data-testid="onchain-address">
          {shortAddress(account.address)}
        </span>
      </Row>
      <TonRows
        rows={[
          ['Spendable on jobs', view.mirrorNano, 'onchain-account-mirror'],
          ['Available on chain', account.available, 'onchain-account-available'],
          ['Signed for so far', view.voucheredNano, 'onchain-account-vouchered'],
          ['Claimed by the operator', account.claimed],
        ]}
      />
      {view.voucherDue && (
        <p className="text-[13px] text-hint" data-testid="onchain-voucher-due">
          A job’s voucher ({tonText(view.voucherDue.amountNano)}) waits to be signed: the next job signs it
          first.
        </p>
      )}
    </>
  );
}

function SpendKeyHere({ account, config, steps }: { account: Account; config: OnchainConfig; steps: Steps }) {
  if (steps.seedHere !== null)
    return (
      <p className="pt-1 text-[13px] text-ok" data-testid="onchain-device-signs">
        This device holds your spend key and signs each job’s voucher.
      </p>
    );
  return (
    <div className="pt-1" data-testid="onchain-no-key">
      <p className="text-[13px] text-destructive">
        This device can’t sign: open the account on the device that made it, or authorize a new spend key on
        this device.
      </p>
      <p className="text-[12px] text-hint">
        {account.spendKey
          ? `Your account has a key already, so the contract switches to a new one only ${delayText(config.closeDelayS)} after your wallet sends it.`
          : 'Your account has no key yet: a new one takes effect at once.'}
      </p>
      <Button
        variant="secondary"
        className="mt-1"
        data-testid="onchain-new-key"
        busy={steps.busy}
        onClick={() => void steps.authorizeHere()}
      >
        Authorize a new spend key on this device
      </Button>
    </div>
  );
}

export function AccountView({
  view,
  account,
  config,
  steps,
}: {
  view: OnchainAccountView;
  account: Account;
  config: OnchainConfig;
  steps: Steps;
}) {
  const [amount, setAmount] = useState('1');
  const nano = parseTonInput(amount);
  return (
    <div data-testid="onchain-account">
      <Balances view={view} account={account} />
      <SpendKeyHere account={account} config={config} steps={steps} />
      <div className="flex items-end gap-2 pt-2">
        <div className="flex-1">
          <TonAmountInput value={amount} onChange={setAmount} testId="onchain-amount" />
        </div>
        <Button
          data-testid="onchain-deposit-submit"
          busy={steps.busy}
          disabled={!nano}
          onClick={() => void (nano && steps.depositMore(nano))}
        >
          Deposit more
        </Button>
      </div>
      <StepStatus step={steps.step} />
      <ExitPanel account={account} config={config} busy={steps.busy} exit={steps.exit} />
    </div>
  );
}
