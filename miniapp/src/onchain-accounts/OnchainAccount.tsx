// On-chain accounts in the Mini App (docs/on-chain-accounts.md): which kind of balance a user has, opening an
// account contract of their own from their wallet (deposit + spend key, one TON Connect transaction), whether
// this device can sign its jobs' vouchers, depositing more, and the exit that needs no proxy. The TON code
// (message bodies, @ton/core) loads from ./messages only when a transaction is sent.
import type { OnchainAccountView, OnchainConfig } from '@cocoon/shared';
import { useQueryClient } from '@tanstack/react-query';
import { useTonConnectUI, useTonWallet } from '@tonconnect/ui-react';
import { useState } from 'react';
import { useGetClient } from '../api/client';
import { keys, useMe, useOnchainAccount, useOnchainConfig } from '../api/hooks';
import { TonAmountInput } from '../components/AmountField';
import { ErrorState } from '../components/states';
import { Badge, Button, Row, Section } from '../components/ui';
import { parseTonInput, shortAddress, shortDate, tonText } from '../format';
import { haptic } from '../telegram/ui';
import { createSpendSeed, loadSpendSeed } from './spend-key';

/** The exit, for any wallet (and `npm run exit`): what to send, and when. */
export function ExitInstructions({ address, closeDelayS }: { address: string; closeDelayS: number }) {
  return (
    <div className="pt-2 text-[13px] text-hint" data-testid="onchain-exit-instructions">
      <p>
        Without this app or the proxy, from any wallet: send 0.05 TON to{' '}
        <span className="break-all font-mono" title={address}>
          {address}
        </span>{' '}
        with the comment <code>close</code>; wait {delayText(closeDelayS)}; then send 0.05 TON with the
        comment <code>withdraw</code>. Only the wallet that owns the account can do it; everything not signed
        for comes back to that wallet. Or run <code>npm run exit</code> from the Cocoon repository with your
        wallet's mnemonic and a TON endpoint.
      </p>
    </div>
  );
}

export function delayText(s: number): string {
  if (s % 86_400 === 0) return s === 86_400 ? '24 hours' : `${s / 86_400} days`;
  if (s % 3600 === 0) return s === 3600 ? '1 hour' : `${s / 3600} hours`;
  if (s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}

/** When the exit's `withdraw` is accepted: `close` + the close delay. */
export function withdrawAt(account: { closeRequestedAt: string | null }, closeDelayS: number): Date | null {
  if (!account.closeRequestedAt) return null;
  return new Date(Date.parse(account.closeRequestedAt) + closeDelayS * 1000);
}

type Step =
  | { kind: 'idle' }
  | { kind: 'wallet'; what: string }
  | { kind: 'registering'; attempt: number }
  | { kind: 'sent'; what: string }
  | { kind: 'error'; error: unknown };

const REGISTER_TRIES = 6;
const REGISTER_WAIT_MS = 2_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  const [tonConnectUI] = useTonConnectUI();
  const wallet = useTonWallet();
  const getClient = useGetClient();
  const qc = useQueryClient();
  const [amount, setAmount] = useState('1');
  const [step, setStep] = useState<Step>({ kind: 'idle' });
  const [seedHere, setSeedHere] = useState(() => loadSpendSeed(userId));
  const nano = parseTonInput(amount);
  const account = view.account;
  const busy = step.kind === 'wallet' || step.kind === 'registering';

  if (!view.wallet || !account)
    return (
      <p className="text-[13px] text-hint" data-testid="onchain-needs-wallet">
        Bind a wallet above (TON Connect) to open an on-chain account: the contract belongs to that wallet.
      </p>
    );

  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: keys.onchain }),
      qc.invalidateQueries({ queryKey: keys.me }),
    ]);

  /** Sends one TON Connect transaction made by `make` (from the lazy messages chunk). */
  async function send(
    what: string,
    make: (m: typeof import('./messages')) => Parameters<typeof tonConnectUI.sendTransaction>[0],
  ): Promise<boolean> {
    if (!wallet) {
      await tonConnectUI.openModal();
      return false;
    }
    setStep({ kind: 'wallet', what });
    try {
      const messages = await import('./messages');
      await tonConnectUI.sendTransaction(make(messages));
      return true;
    } catch (error) {
      setStep({ kind: 'error', error });
      haptic('error');
      return false;
    }
  }

  async function register() {
    // The chain may lag behind the wallet (testnet); the sandbox has it at once.
    for (let attempt = 1; ; attempt++) {
      setStep({ kind: 'registering', attempt });
      try {
        const client = await getClient();
        await client.registerOnchain();
        await refresh();
        setStep({ kind: 'sent', what: 'Your jobs are now paid from your on-chain account.' });
        haptic('success');
        return;
      } catch (error) {
        if (attempt >= REGISTER_TRIES) {
          setStep({ kind: 'error', error });
          haptic('error');
          return;
        }
        await sleep(REGISTER_WAIT_MS);
      }
    }
  }

  async function open() {
    if (!nano || !account) return;
    // A key made for an earlier try that never reached the chain is reused: the wallet may still send it.
    const seed = seedHere ?? createSpendSeed(userId);
    setSeedHere(seed);
    const ok = await send('Confirm the deposit and your spend key in your wallet…', (m) =>
      m.openAccountTransaction(account, nano, seed),
    );
    if (ok) await register();
  }

  async function depositMore() {
    if (!nano || !account) return;
    if (await send('Confirm the deposit in your wallet…', (m) => m.depositMoreTransaction(account, nano))) {
      setStep({ kind: 'sent', what: 'Deposit sent. The account shows it once it lands on chain.' });
      haptic('success');
      for (const ms of [1_000, 4_000, 10_000]) setTimeout(() => void refresh(), ms);
    }
  }

  async function authorizeHere() {
    if (!account) return;
    const seed = createSpendSeed(userId);
    setSeedHere(seed);
    if (
      await send('Confirm the new spend key in your wallet…', (m) => m.newSpendKeyTransaction(account, seed))
    ) {
      setStep({
        kind: 'sent',
        what: account.spendKey
          ? `New spend key sent. The contract switches to it ${delayText(config.closeDelayS)} from now; until then the old key still signs.`
          : 'Spend key sent.',
      });
      haptic('success');
      await refresh();
    }
  }

  async function exit(which: 'close' | 'withdraw') {
    if (!account) return;
    if (await send(`Confirm “${which}” in your wallet…`, (m) => m.exitTransaction(account, which))) {
      setStep({
        kind: 'sent',
        what:
          which === 'close' ? 'Exit started.' : 'Withdraw sent: what is unclaimed goes back to your wallet.',
      });
      haptic('success');
      await refresh();
    }
  }

  const amountInput = <TonAmountInput value={amount} onChange={setAmount} testId="onchain-amount" />;
  const status = (
    <>
      {step.kind === 'wallet' && (
        <p className="pt-2 text-[13px] text-hint" data-testid="onchain-progress">
          {step.what}
        </p>
      )}
      {step.kind === 'registering' && (
        <p className="pt-2 text-[13px] text-hint" data-testid="onchain-progress">
          Waiting for the chain{step.attempt > 1 ? ` (try ${step.attempt} of ${REGISTER_TRIES})` : ''}…
        </p>
      )}
      {step.kind === 'sent' && (
        <p className="pt-2 text-[13px] text-ok" data-testid="onchain-sent">
          {step.what}
        </p>
      )}
      {step.kind === 'error' && <ErrorState error={step.error} testId="onchain-step-error" />}
    </>
  );

  if (!view.registered) {
    // Deployed with this device's key already (an open whose registration failed): only register.
    const finish = account.deployed && account.spendKey !== null && seedHere !== null;
    return (
      <div data-testid="onchain-open">
        <p className="pb-2 text-[13px] text-hint">
          Keep your money in a contract of your own instead of the operator’s ledger. This device makes a
          spend key; your wallet deposits and authorizes it in one transaction. Each job is then paid by a
          voucher this device signs, and only what you signed can be claimed.
        </p>
        {!finish && amountInput}
        {status}
        <div className="pt-2">
          <Button
            className="w-full"
            data-testid="onchain-open-submit"
            busy={busy}
            disabled={!finish && !nano}
            onClick={() => void (finish ? register() : open())}
          >
            {!wallet
              ? 'Connect wallet'
              : finish
                ? 'Pay my jobs from this account'
                : `Open on-chain account with ${nano ? tonText(nano) : '…'}`}
          </Button>
        </div>
        <p className="pt-2 text-[12px] text-hint">
          Account {shortAddress(account.address)} · plus 0.05 TON for the spend key message; 0.06 TON of the
          first deposit stays as the contract’s reserve and gas.
        </p>
      </div>
    );
  }

  const canSign = seedHere !== null;
  const exitAt = withdrawAt(account, config.closeDelayS);
  const exitReady = exitAt !== null && exitAt.getTime() <= Date.now();
  return (
    <div data-testid="onchain-account">
      <Row label="Contract">
        <span className="font-mono text-[13px]" title={account.address} data-testid="onchain-address">
          {shortAddress(account.address)}
        </span>
      </Row>
      <Row label="Spendable on jobs" testId="onchain-account-mirror">
        {tonText(view.mirrorNano)}
      </Row>
      <Row label="Available on chain" testId="onchain-account-available">
        {tonText(account.available)}
      </Row>
      <Row label="Signed for so far" testId="onchain-account-vouchered">
        {tonText(view.voucheredNano)}
      </Row>
      <Row label="Claimed by the operator">{tonText(account.claimed)}</Row>
      {view.voucherDue && (
        <p className="text-[13px] text-hint" data-testid="onchain-voucher-due">
          A job’s voucher ({tonText(view.voucherDue.amountNano)}) waits to be signed: the next job signs it
          first.
        </p>
      )}
      {canSign ? (
        <p className="pt-1 text-[13px] text-ok" data-testid="onchain-device-signs">
          This device holds your spend key and signs each job’s voucher.
        </p>
      ) : (
        <div className="pt-1" data-testid="onchain-no-key">
          <p className="text-[13px] text-destructive">
            This device can’t sign: open the account on the device that made it, or authorize a new spend key
            on this device.
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
            busy={busy}
            onClick={() => void authorizeHere()}
          >
            Authorize a new spend key on this device
          </Button>
        </div>
      )}
      <div className="flex items-end gap-2 pt-2">
        <div className="flex-1">{amountInput}</div>
        <Button
          data-testid="onchain-deposit-submit"
          busy={busy}
          disabled={!nano}
          onClick={() => void depositMore()}
        >
          Deposit more
        </Button>
      </div>
      {status}
      <div className="mt-3 border-t border-separator pt-2" data-testid="onchain-exit">
        <div className="flex items-center justify-between gap-2">
          <span className="text-[15px]">Exit</span>
          {exitAt ? (
            <Badge tone={exitReady ? 'ok' : 'warn'}>{exitReady ? 'withdraw open' : 'closing'}</Badge>
          ) : null}
        </div>
        {exitAt ? (
          <p
            className="text-[13px] text-hint"
            data-testid="onchain-withdraw-at"
            data-at={exitAt.toISOString()}
          >
            {exitReady
              ? 'The close delay is over: withdraw what is unclaimed to your wallet.'
              : `Withdraw possible at ${shortDate(exitAt.toISOString())}. Until then the operator may still claim the last voucher you signed, and nothing more.`}
          </p>
        ) : (
          <p className="text-[13px] text-hint">
            Closing stops the account after {delayText(config.closeDelayS)}; then withdraw takes what is
            unclaimed back to your wallet.
          </p>
        )}
        <div className="flex gap-2 pt-1">
          <Button
            variant="danger"
            data-testid="onchain-close"
            busy={busy}
            disabled={exitAt !== null}
            onClick={() => void exit('close')}
          >
            Close account
          </Button>
          <Button
            variant="secondary"
            data-testid="onchain-withdraw"
            busy={busy}
            disabled={!exitReady}
            onClick={() => void exit('withdraw')}
          >
            Withdraw
          </Button>
        </div>
        <ExitInstructions address={account.address} closeDelayS={config.closeDelayS} />
      </div>
    </div>
  );
}
