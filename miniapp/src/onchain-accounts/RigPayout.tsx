// A rig owner's earnings paid on chain: the proxy signs a cumulative earnings voucher for the amount moved
// (POST /v1/me/onchain/payouts), and the owner's wallet presents it to their RigAccount, which has the vault
// pay the difference. Inside TonConnectScope (Rigs page).
import { useTonConnectUI, useTonWallet } from '@tonconnect/ui-react';
import { useState } from 'react';
import { useMe, useOnchainAccount, useOnchainConfig, useOnchainPayout } from '../api/hooks';
import { AmountField } from '../components/AmountField';
import { ErrorState } from '../components/states';
import { Section } from '../components/ui';
import { parseTonInput, shortAddress, tonText } from '../format';
import { haptic } from '../telegram/ui';
import { TonConnectScope } from '../wallet/TonConnectScope';

type Step = { kind: 'idle' | 'signing' | 'wallet' | 'sent' } | { kind: 'error'; error: unknown };

/** The section with its own TON Connect scope (for the Rigs page, which has none otherwise). */
export default function RigPayout() {
  return (
    <TonConnectScope>
      <RigPayoutSection />
    </TonConnectScope>
  );
}

export function RigPayoutSection() {
  const config = useOnchainConfig();
  const enabled = config.data?.enabled === true;
  const view = useOnchainAccount(enabled);
  const me = useMe();
  const payout = useOnchainPayout();
  const [tonConnectUI] = useTonConnectUI();
  const wallet = useTonWallet();
  const [amount, setAmount] = useState('');
  const [step, setStep] = useState<Step>({ kind: 'idle' });
  if (!enabled || !me.data || !view.data) return null;
  const withdrawable = BigInt(me.data.withdrawableNano);
  const nano = parseTonInput(amount);
  const rigAccount = view.data.rigAccount;
  let problem: string | null = null;
  if (!view.data.wallet || !rigAccount) problem = 'Bind a wallet on the Wallet page first: payouts go to it.';
  else if (amount && !nano) problem = 'Enter an amount like 1.5';
  else if (nano !== null && nano > withdrawable)
    problem = `At most ${tonText(withdrawable)} (your earnings).`;

  async function submit() {
    if (!nano || problem) return;
    if (!wallet) {
      await tonConnectUI.openModal();
      return;
    }
    setStep({ kind: 'signing' });
    try {
      const signed = await payout.mutateAsync(nano);
      setStep({ kind: 'wallet' });
      const { payoutTransaction } = await import('./messages');
      await tonConnectUI.sendTransaction(payoutTransaction(signed));
      setStep({ kind: 'sent' });
      setAmount('');
      haptic('success');
    } catch (error) {
      setStep({ kind: 'error', error });
      haptic('error');
    }
  }

  return (
    <Section
      title="Pay out on chain"
      testId="rig-payout"
      footer="The operator signs your cumulative earnings; your wallet presents them to your rig account contract, and the vault pays the difference to your wallet (0.1 TON goes with the message for gas; the rest comes back)."
    >
      <AmountField
        label="Amount, TON"
        value={amount}
        onChange={setAmount}
        inputTestId="rig-payout-amount"
        action={wallet ? 'Pay out on chain' : 'Connect wallet'}
        actionTestId="rig-payout-submit"
        onAction={() => void submit()}
        enabled={Boolean(nano) && problem === null}
        busy={step.kind === 'signing' || step.kind === 'wallet'}
      />
      <p className="min-h-5 pt-1 text-[13px] text-hint" data-testid="rig-payout-hint">
        {problem ??
          (rigAccount ? `Earnings ${tonText(withdrawable)} · rig account ${shortAddress(rigAccount)}` : '')}
      </p>
      {view.data.payout && (
        <p className="text-[13px] text-hint" data-testid="rig-payout-signed">
          Signed for on chain so far: {tonText(view.data.payout.amountNano)} (voucher {view.data.payout.seq}).
        </p>
      )}
      {step.kind === 'signing' && <p className="text-[13px] text-hint">Asking the operator to sign…</p>}
      {step.kind === 'wallet' && (
        <p className="text-[13px] text-hint" data-testid="rig-payout-progress">
          Confirm the claim in your wallet…
        </p>
      )}
      {step.kind === 'sent' && (
        <p className="text-[13px] text-ok" data-testid="rig-payout-sent">
          Claim sent to your rig account: the vault pays your wallet once it lands.
        </p>
      )}
      {step.kind === 'error' && <ErrorState error={step.error} testId="rig-payout-error" />}
    </Section>
  );
}
