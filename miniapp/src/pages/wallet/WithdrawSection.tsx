// Withdraw to the bound wallet: only the user's own money can leave (trial credit pays for jobs only); a
// large withdrawal takes a fresh ton_proof; one idempotency key per intended withdrawal.
import type { MeView, TonConfig, TonProofRequest, WalletState } from '@cocoon/shared';
import { useRef, useState } from 'react';
import { useWithdraw } from '../../api/hooks';
import { AmountField } from '../../components/AmountField';
import { ErrorState } from '../../components/states';
import { Section } from '../../components/ui';
import { parseTonInput, shortAddress, shortDate, tonText } from '../../format';
import { haptic } from '../../telegram/ui';
import { useFreshWalletProof } from '../../wallet/useFreshWalletProof';
import { boundWallet } from './bound-wallet';

type ProofState = { kind: 'idle' | 'asking' } | { kind: 'error'; error: unknown };

/** The limits an amount is checked against, from the TON config and the user's withdrawable part. */
function limitsOf(me: MeView | undefined, config: TonConfig | undefined) {
  const fee = config ? BigInt(config.withdrawalFeeNano) : 0n;
  // Only the user's own money can leave; trial credit pays for jobs only.
  const withdrawable = me ? BigInt(me.withdrawableNano) : 0n;
  return {
    min: config ? BigInt(config.minWithdrawalNano) : 0n,
    fee,
    proofAbove: config ? BigInt(config.withdrawalProofAboveNano) : null,
    withdrawable,
    max: withdrawable > fee ? withdrawable - fee : 0n,
  };
}

/** Why this amount can't be withdrawn now, or null. */
function withdrawProblem(
  amount: string,
  nano: bigint | null,
  bound: string | null,
  walletState: WalletState | undefined,
  { min, fee, withdrawable, max }: ReturnType<typeof limitsOf>,
): string | null {
  if (!bound) return 'Bind a wallet first.';
  if (walletState?.pendingWallet)
    return `A wallet change is pending: withdrawals wait until ${shortDate(walletState.pendingWalletAt)}.`;
  if (amount && !nano) return 'Enter an amount like 1.5';
  if (nano !== null && nano < min) return `The minimum is ${tonText(min)}.`;
  if (nano !== null && nano + fee > withdrawable)
    return `More than you can withdraw: at most ${tonText(max)} after the fee. Trial credit can't be withdrawn.`;
  return null;
}

/** Sends the withdrawal, with a fresh proof first when it is above the threshold. */
function useSubmitWithdrawal(onDone: () => void) {
  const withdraw = useWithdraw();
  const freshProof = useFreshWalletProof();
  const [proofState, setProofState] = useState<ProofState>({ kind: 'idle' });
  // One idempotency key per intended withdrawal: a retry after a network error can't pay twice.
  const key = useRef<string | null>(null);
  async function submit(nano: bigint, needsProof: boolean) {
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
          onDone();
          haptic('success');
        },
        onError: () => haptic('error'),
      },
    );
  }
  /** A new amount is a new intended withdrawal. */
  function reset() {
    key.current = null;
    setProofState({ kind: 'idle' });
  }
  return { withdraw, proofState, submit, reset };
}

export function WithdrawSection({
  me,
  config,
  walletState,
}: {
  me: MeView | undefined;
  config: TonConfig | undefined;
  walletState: WalletState | undefined;
}) {
  const [amount, setAmount] = useState('');
  const { withdraw, proofState, submit, reset } = useSubmitWithdrawal(() => setAmount(''));
  const nano = parseTonInput(amount);
  const limits = limitsOf(me, config);
  const bound = boundWallet(me, walletState);
  const needsProof = nano !== null && limits.proofAbove !== null && nano > limits.proofAbove;
  const problem = withdrawProblem(amount, nano, bound, walletState, limits);
  return (
    <Section
      title="Withdraw"
      testId="withdraw"
      footer={
        config
          ? `Network fee ${tonText(limits.fee)}; minimum ${tonText(limits.min)}. Trial credit pays for jobs only and can't be withdrawn.`
          : undefined
      }
    >
      <AmountField
        label="Amount, TON"
        value={amount}
        onChange={(v) => {
          setAmount(v);
          reset();
        }}
        inputTestId="withdraw-amount"
        action={needsProof ? 'Reconnect wallet to confirm' : 'Withdraw'}
        actionTestId="withdraw-submit"
        onAction={() => {
          if (nano && !problem) void submit(nano, needsProof);
        }}
        enabled={Boolean(nano) && problem === null}
        busy={withdraw.isPending || proofState.kind === 'asking'}
      />
      <p className="min-h-5 pt-1 text-[13px] text-hint" data-testid="withdraw-hint">
        {problem ?? (bound ? `To ${shortAddress(bound)} · up to ${tonText(limits.max)}` : '')}
      </p>
      {needsProof && limits.proofAbove !== null && !problem && (
        <p className="text-[13px] text-hint" data-testid="withdraw-proof-note">
          Withdrawals above {tonText(limits.proofAbove)} need a fresh proof that you hold the wallet:
          reconnect {shortAddress(bound ?? '')} when your wallet asks.
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
