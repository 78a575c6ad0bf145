// Deposit: a transfer from the connected wallet to the service wallet, with the user's deposit memo as the
// comment; the chain watcher credits it once it lands.
import type { MeView, TonConfig } from '@cocoon/shared';
import { useQueryClient } from '@tanstack/react-query';
import { useTonConnectUI, useTonWallet } from '@tonconnect/ui-react';
import { useState } from 'react';
import { keys } from '../../api/hooks';
import { TonAmountInput } from '../../components/AmountField';
import { MainAction } from '../../components/MainAction';
import { ErrorState } from '../../components/states';
import { Row, Section } from '../../components/ui';
import { parseTonInput, tonText } from '../../format';
import { haptic } from '../../telegram/ui';

type DepositState = { kind: 'idle' | 'sending' | 'sent' } | { kind: 'error'; error: unknown };

/** Without a wallet: points at the local-mode sandbox button if there is one, else opens TON Connect's modal. */
async function connectFirst(openModal: () => Promise<void>): Promise<void> {
  // Local mode: TON Connect UI's phone-width modal can't list the sandbox wallet, so point at the
  // sandbox button in the wallet section instead (it is only in local-mode builds).
  const sandbox = document.querySelector<HTMLButtonElement>('[data-testid="sandbox-connect-button"]');
  if (sandbox) {
    sandbox.scrollIntoView({ block: 'center', behavior: 'smooth' });
    sandbox.focus();
    return;
  }
  await openModal();
}

function useDeposit(me: MeView | undefined, config: TonConfig | undefined, nano: bigint | null) {
  const [tonConnectUI] = useTonConnectUI();
  const wallet = useTonWallet();
  const qc = useQueryClient();
  const [state, setState] = useState<DepositState>({ kind: 'idle' });
  async function deposit() {
    if (!wallet) return connectFirst(() => tonConnectUI.openModal());
    if (!me || !config || !nano) return;
    setState({ kind: 'sending' });
    try {
      // @ton/core (for the comment cell) loads only when a deposit is actually made.
      const { depositTransaction } = await import('../../wallet/comment');
      await tonConnectUI.sendTransaction(depositTransaction(config.serviceAddress, nano, me.depositMemo));
      setState({ kind: 'sent' });
      haptic('success');
      // The chain watcher credits the deposit once the transfer lands; poll for a little while.
      for (const ms of [2_000, 5_000, 10_000, 20_000]) {
        setTimeout(() => void qc.invalidateQueries({ queryKey: keys.me }), ms);
        setTimeout(() => void qc.invalidateQueries({ queryKey: keys.ledger }), ms);
      }
    } catch (error) {
      setState({ kind: 'error', error });
      haptic('error');
    }
  }
  return { wallet, state, deposit };
}

export function DepositSection({
  me,
  config,
  configError,
}: {
  me: MeView | undefined;
  config: TonConfig | undefined;
  configError: unknown;
}) {
  const [amount, setAmount] = useState('1');
  const nano = parseTonInput(amount);
  const ready = Boolean(me && config && nano && nano > 0n);
  const { wallet, state, deposit } = useDeposit(me, config, nano);
  return (
    <Section
      title="Deposit"
      testId="deposit"
      footer={
        config
          ? `Sent to the Cocoon service wallet on ${config.network} with your deposit memo as the comment.`
          : undefined
      }
    >
      {configError ? (
        <ErrorState error={configError} testId="ton-config-error" />
      ) : (
        <>
          <TonAmountInput value={amount} onChange={setAmount} testId="deposit-amount" />
          <Row label="Memo">
            <span className="font-mono text-[13px]" data-testid="deposit-memo">
              {me?.depositMemo ?? '—'}
            </span>
          </Row>
          {state.kind === 'sent' && (
            <p className="pt-1 text-[13px] text-ok" data-testid="deposit-sent">
              Sent. Your balance updates when the transfer is confirmed on chain.
            </p>
          )}
          {state.kind === 'error' && <ErrorState error={state.error} testId="deposit-error" />}
        </>
      )}
      <MainAction
        testId="deposit-submit"
        text={wallet ? `Deposit ${nano ? tonText(nano) : ''}`.trim() : 'Connect wallet to deposit'}
        onClick={() => void deposit()}
        enabled={wallet ? ready : true}
        loading={state.kind === 'sending'}
      />
    </Section>
  );
}
