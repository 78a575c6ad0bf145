// The on-chain account's actions, each one TON Connect transaction from the user's wallet (the TON code loads
// from ./messages only then), and the step the section shows: in the wallet, waiting for the chain, sent, or
// failed. Opening an account ends by registering it with the proxy, retried while the chain lags.
import type { OnchainAccountView, OnchainConfig } from '@cocoon/shared';
import { useQueryClient } from '@tanstack/react-query';
import { useTonConnectUI, useTonWallet } from '@tonconnect/ui-react';
import { useState } from 'react';
import { useGetClient } from '../api/client';
import { keys } from '../api/hooks';
import { haptic } from '../telegram/ui';
import { delayText } from './delay';
import { createSpendSeed, loadSpendSeed } from './spend-key';

export type Step =
  | { kind: 'idle' }
  | { kind: 'wallet'; what: string }
  | { kind: 'registering'; attempt: number }
  | { kind: 'sent'; what: string }
  | { kind: 'error'; error: unknown };

export const REGISTER_TRIES = 6;
const REGISTER_WAIT_MS = 2_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Account = NonNullable<OnchainAccountView['account']>;
type Transaction = Parameters<ReturnType<typeof useTonConnectUI>[0]['sendTransaction']>[0];

/** Sends one TON Connect transaction made by `make`; false when it wasn't sent (no wallet, refused). */
function useSend(setStep: (s: Step) => void) {
  const [tonConnectUI] = useTonConnectUI();
  const wallet = useTonWallet();
  async function send(what: string, make: (m: typeof import('./messages')) => Transaction): Promise<boolean> {
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
  return { wallet, send };
}

/** Tells the proxy the user's jobs are paid from the account now; the chain may lag behind the wallet. */
function useRegister(setStep: (s: Step) => void, refresh: () => Promise<unknown>) {
  const getClient = useGetClient();
  return async function register() {
    for (let attempt = 1; ; attempt++) {
      setStep({ kind: 'registering', attempt });
      try {
        await (await getClient()).registerOnchain();
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
  };
}

export function useAccountSteps(config: OnchainConfig, account: Account, userId: string) {
  const qc = useQueryClient();
  const [step, setStep] = useState<Step>({ kind: 'idle' });
  const [seedHere, setSeedHere] = useState(() => loadSpendSeed(userId));
  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: keys.onchain }),
      qc.invalidateQueries({ queryKey: keys.me }),
    ]);
  const { wallet, send } = useSend(setStep);
  const register = useRegister(setStep, refresh);
  const sent = async (what: string, then?: () => unknown) => {
    setStep({ kind: 'sent', what });
    haptic('success');
    await then?.();
  };
  const actions = {
    register,
    async open(nano: bigint) {
      // A key made for an earlier try that never reached the chain is reused: the wallet may still send it.
      const seed = seedHere ?? createSpendSeed(userId);
      setSeedHere(seed);
      const text = 'Confirm the deposit and your spend key in your wallet…';
      if (await send(text, (m) => m.openAccountTransaction(account, nano, seed))) await register();
    },
    async depositMore(nano: bigint) {
      if (await send('Confirm the deposit in your wallet…', (m) => m.depositMoreTransaction(account, nano)))
        await sent('Deposit sent. The account shows it once it lands on chain.', () => {
          for (const ms of [1_000, 4_000, 10_000]) setTimeout(() => void refresh(), ms);
        });
    },
    async authorizeHere() {
      const seed = createSpendSeed(userId);
      setSeedHere(seed);
      const text = 'Confirm the new spend key in your wallet…';
      if (await send(text, (m) => m.newSpendKeyTransaction(account, seed)))
        await sent(
          account.spendKey
            ? `New spend key sent. The contract switches to it ${delayText(config.closeDelayS)} from now; until then the old key still signs.`
            : 'Spend key sent.',
          refresh,
        );
    },
    async exit(which: 'close' | 'withdraw') {
      if (await send(`Confirm “${which}” in your wallet…`, (m) => m.exitTransaction(account, which)))
        await sent(
          which === 'close' ? 'Exit started.' : 'Withdraw sent: what is unclaimed goes back to your wallet.',
          refresh,
        );
    },
  };
  const busy = step.kind === 'wallet' || step.kind === 'registering';
  return { step, busy, wallet, seedHere, ...actions };
}
