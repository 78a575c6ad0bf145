// Wallet: connect a TON wallet (bound to the account by ton_proof), deposit, withdraw, and the ledger.
// Trial credit pays for jobs only; only the withdrawable part can leave. A change of the bound wallet waits
// out a cooling-off period, shown here with a way to cancel it; large withdrawals take a fresh ton_proof.
import {
  type LedgerEntryView,
  type MeView,
  PAYOUTS_CSV_PATH,
  type TonConfig,
  type TonProofRequest,
  type WalletState,
  type WithdrawalView,
} from '@cocoon/shared';
import { useQueryClient } from '@tanstack/react-query';
import { TonConnectButton, useTonConnectUI, useTonWallet } from '@tonconnect/ui-react';
import { useRef, useState } from 'react';
import { errorMessage } from '../api/errors';
import {
  keys,
  useCancelWalletChange,
  useLedger,
  useMe,
  useTonConfig,
  useWalletState,
  useWithdraw,
  useWithdrawals,
} from '../api/hooks';
import { CsvDownload } from '../components/CsvDownload';
import { MainAction } from '../components/MainAction';
import { PageHeader } from '../components/PageHeader';
import { ErrorState, QueryView } from '../components/states';
import { Badge, Button, Row, Section, TextInput } from '../components/ui';
import { parseTonInput, shortAddress, shortDate, tonText } from '../format';
import { BalanceKind } from '../onchain-accounts/BalanceKind';
import { OnchainAccountSection } from '../onchain-accounts/OnchainAccount';
import { haptic } from '../telegram/ui';
import { SandboxConnectButton } from '../wallet/SandboxConnectButton';
import { TonConnectScope } from '../wallet/TonConnectScope';
import { useFreshWalletProof } from '../wallet/useFreshWalletProof';
import { useTonProofBinding } from '../wallet/useTonProofBinding';

export function WalletPage() {
  const me = useMe();
  const config = useTonConfig();
  const walletState = useWalletState();
  return (
    <>
      <PageHeader title="Wallet" />
      <Section title="Balance" footer="Trial credit pays for jobs only; it can't be withdrawn.">
        <QueryView query={me} rows={4}>
          {(m) => (
            <>
              <Row label="Available for jobs" testId="wallet-balance">
                {tonText(m.balanceNano)}
              </Row>
              <Row label="Withdrawable" testId="wallet-withdrawable">
                {tonText(m.withdrawableNano)}
              </Row>
              <Row label="Trial credit (jobs only)" testId="wallet-trial">
                {tonText(m.trialNano)}
              </Row>
              <Row label="Held for running jobs">{tonText(m.heldNano)}</Row>
              <BalanceKind me={m} />
            </>
          )}
        </QueryView>
      </Section>
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

/** The wallet withdrawals go to: GET /v1/me/wallet's (which applies a change whose time has come), else /v1/me's. */
function boundWallet(me: MeView | undefined, state: WalletState | undefined): string | null {
  return state ? state.wallet : (me?.wallet ?? null);
}

function ConnectSection({
  me,
  walletState,
}: {
  me: MeView | undefined;
  walletState: WalletState | undefined;
}) {
  const { bind, payloadError, tonConnectUI, connectRequest } = useTonProofBinding();
  const wallet = useTonWallet();
  const bound = boundWallet(me, walletState);
  const proofMissing = wallet && me && !bound && !bind.isPending && !bind.isSuccess;
  // 202: the proxy accepted a change of the bound wallet, effective after the cooling-off period.
  const bindPending = bind.isSuccess && bind.data.pendingWallet !== null;
  return (
    <Section
      title="TON wallet"
      footer="Withdrawals go only to the wallet you prove you own (TON Connect ton_proof)."
      testId="wallet-connect"
    >
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
      {
        // Inline condition so production builds drop the sandbox wallet entirely (see SandboxConnectButton).
        (import.meta.env.DEV || import.meta.env.VITE_COCOON_LOCAL === '1') && (
          <SandboxConnectButton connectRequest={connectRequest} />
        )
      }
      {walletState?.pendingWallet && <PendingWalletChange state={walletState} />}
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
      {proofMissing && !bind.isError && (
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
    </Section>
  );
}

function PendingWalletChange({ state }: { state: WalletState }) {
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

function DepositSection({
  me,
  config,
  configError,
}: {
  me: MeView | undefined;
  config: TonConfig | undefined;
  configError: unknown;
}) {
  const [tonConnectUI] = useTonConnectUI();
  const wallet = useTonWallet();
  const qc = useQueryClient();
  const [amount, setAmount] = useState('1');
  const [state, setState] = useState<
    { kind: 'idle' | 'sending' | 'sent' } | { kind: 'error'; error: unknown }
  >({
    kind: 'idle',
  });
  const nano = parseTonInput(amount);
  const ready = Boolean(me && config && nano && nano > 0n);

  async function deposit() {
    if (!wallet) {
      // Local mode: TON Connect UI's phone-width modal can't list the sandbox wallet, so point at the
      // sandbox button in the wallet section instead (it is only in local-mode builds).
      const sandbox = document.querySelector<HTMLButtonElement>('[data-testid="sandbox-connect-button"]');
      if (sandbox) {
        sandbox.scrollIntoView({ block: 'center', behavior: 'smooth' });
        sandbox.focus();
        return;
      }
      await tonConnectUI.openModal();
      return;
    }
    if (!me || !config || !nano) return;
    setState({ kind: 'sending' });
    try {
      // @ton/core (for the comment cell) loads only when a deposit is actually made.
      const { depositTransaction } = await import('../wallet/comment');
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
          <TextInput
            label="Amount, TON"
            inputMode="decimal"
            data-testid="deposit-amount"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            aria-invalid={amount !== '' && !nano}
          />
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

function WithdrawSection({
  me,
  config,
  walletState,
}: {
  me: MeView | undefined;
  config: TonConfig | undefined;
  walletState: WalletState | undefined;
}) {
  const withdraw = useWithdraw();
  const freshProof = useFreshWalletProof();
  const [amount, setAmount] = useState('');
  const [proofState, setProofState] = useState<
    { kind: 'idle' | 'asking' } | { kind: 'error'; error: unknown }
  >({ kind: 'idle' });
  // One idempotency key per intended withdrawal: a retry after a network error can't pay twice.
  const key = useRef<string | null>(null);
  const nano = parseTonInput(amount);
  const min = config ? BigInt(config.minWithdrawalNano) : 0n;
  const fee = config ? BigInt(config.withdrawalFeeNano) : 0n;
  const proofAbove = config ? BigInt(config.withdrawalProofAboveNano) : null;
  // Only the user's own money can leave; trial credit pays for jobs only.
  const withdrawable = me ? BigInt(me.withdrawableNano) : 0n;
  const max = withdrawable > fee ? withdrawable - fee : 0n;
  const bound = boundWallet(me, walletState);
  const needsProof = nano !== null && proofAbove !== null && nano > proofAbove;
  let problem: string | null = null;
  if (!bound) problem = 'Bind a wallet first.';
  else if (walletState?.pendingWallet)
    problem = `A wallet change is pending: withdrawals wait until ${shortDate(walletState.pendingWalletAt)}.`;
  else if (amount && !nano) problem = 'Enter an amount like 1.5';
  else if (nano !== null && nano < min) problem = `The minimum is ${tonText(min)}.`;
  else if (nano !== null && nano + fee > withdrawable)
    problem = `More than you can withdraw: at most ${tonText(max)} after the fee. Trial credit can't be withdrawn.`;

  async function submit() {
    if (!nano || problem) return;
    key.current ??= crypto.randomUUID();
    const idempotencyKey = key.current;
    let tonProof: TonProofRequest | undefined;
    if (needsProof) {
      // A fresh proof is single-use: ask for a new one on every try.
      setProofState({ kind: 'asking' });
      try {
        tonProof = await freshProof();
        setProofState({ kind: 'idle' });
      } catch (error) {
        setProofState({ kind: 'error', error });
        haptic('error');
        return;
      }
    }
    withdraw.mutate(
      { amountNano: nano, idempotencyKey, tonProof },
      {
        onSuccess: () => {
          key.current = null;
          setAmount('');
          haptic('success');
        },
        onError: () => haptic('error'),
      },
    );
  }

  return (
    <Section
      title="Withdraw"
      testId="withdraw"
      footer={
        config
          ? `Network fee ${tonText(fee)}; minimum ${tonText(min)}. Trial credit pays for jobs only and can't be withdrawn.`
          : undefined
      }
    >
      <div className="flex items-end gap-2">
        <TextInput
          className="flex-1"
          label="Amount, TON"
          inputMode="decimal"
          data-testid="withdraw-amount"
          value={amount}
          onChange={(e) => {
            setAmount(e.target.value);
            key.current = null;
            setProofState({ kind: 'idle' });
          }}
        />
        <Button
          data-testid="withdraw-submit"
          onClick={() => void submit()}
          disabled={!nano || problem !== null}
          busy={withdraw.isPending || proofState.kind === 'asking'}
        >
          {needsProof ? 'Reconnect wallet to confirm' : 'Withdraw'}
        </Button>
      </div>
      <p className="min-h-5 pt-1 text-[13px] text-hint" data-testid="withdraw-hint">
        {problem ?? (bound ? `To ${shortAddress(bound)} · up to ${tonText(max)}` : '')}
      </p>
      {needsProof && proofAbove !== null && !problem && (
        <p className="text-[13px] text-hint" data-testid="withdraw-proof-note">
          Withdrawals above {tonText(proofAbove)} need a fresh proof that you hold the wallet: reconnect{' '}
          {shortAddress(bound ?? '')} when your wallet asks.
        </p>
      )}
      {proofState.kind === 'asking' && (
        <p className="text-[13px] text-hint" data-testid="withdraw-proof-asking">
          Waiting for your wallet to reconnect…
        </p>
      )}
      {proofState.kind === 'error' && <ErrorState error={proofState.error} testId="withdraw-proof-error" />}
      {withdraw.isSuccess && (
        <p className="text-[13px] text-ok" data-testid="withdraw-queued">
          Withdrawal queued.
        </p>
      )}
      {withdraw.isError && <ErrorState error={withdraw.error} testId="withdraw-error" />}
    </Section>
  );
}

const WITHDRAWAL_TONE: Record<string, 'ok' | 'off' | 'warn' | 'info'> = {
  pending: 'info',
  sent: 'info',
  confirmed: 'ok',
  failed: 'warn',
};

function WithdrawalsSection() {
  const withdrawals = useWithdrawals(10_000);
  return (
    <Section
      title="Withdrawals"
      testId="withdrawals"
      aside={
        <CsvDownload path={PAYOUTS_CSV_PATH} filename="cocoon-payouts.csv" label="CSV" testId="payouts-csv" />
      }
    >
      <QueryView
        query={withdrawals}
        rows={2}
        isEmpty={(d) => d.withdrawals.length === 0}
        empty="No withdrawals yet."
      >
        {(d) => (
          <ul>
            {d.withdrawals.map((w: WithdrawalView) => (
              <li
                key={w.id}
                className="flex items-center justify-between gap-2 border-b border-separator py-2 last:border-0"
              >
                <span className="text-[15px] tabular">{tonText(w.amountNano)}</span>
                <span className="text-[13px] text-hint">{shortDate(w.createdAt)}</span>
                <Badge tone={WITHDRAWAL_TONE[w.status] ?? 'off'}>{w.status}</Badge>
              </li>
            ))}
          </ul>
        )}
      </QueryView>
    </Section>
  );
}

export function LedgerList({ entries }: { entries: LedgerEntryView[] }) {
  return (
    <ul data-testid="ledger">
      {entries.map((e) => {
        const negative = e.amountNano.startsWith('-');
        return (
          <li
            key={`${e.txId}-${e.kind}-${e.trial ? 't' : 'u'}`}
            className="flex items-center justify-between gap-2 border-b border-separator py-2 last:border-0"
          >
            <div className="min-w-0">
              <div className="flex items-center gap-1.5 truncate text-[15px]">
                {e.kind.replace(/_/g, ' ')}
                {e.trial && (
                  <span
                    data-testid="ledger-trial"
                    title="Trial credit: pays for jobs only, can't be withdrawn"
                  >
                    <Badge tone="off">trial</Badge>
                  </span>
                )}
              </div>
              <div className="truncate text-[12px] text-hint">
                {shortDate(e.createdAt)}
                {e.memo ? ` · ${e.memo}` : ''}
              </div>
            </div>
            <span className={`shrink-0 text-[15px] tabular ${negative ? '' : 'text-ok'}`}>
              {negative ? '' : '+'}
              {tonText(e.amountNano)}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

function LedgerSection() {
  const ledger = useLedger();
  return (
    <Section title="History" testId="ledger-section">
      <QueryView query={ledger} rows={3} isEmpty={(d) => d.entries.length === 0} empty="No transactions yet.">
        {(d) => <LedgerList entries={d.entries} />}
      </QueryView>
    </Section>
  );
}
