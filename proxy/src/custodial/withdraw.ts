// A user's withdrawal request as the route takes it: a replay answers the first withdrawal; a pending wallet
// change stops it; above WITHDRAWAL_PROOF_ABOVE_NANO it needs a fresh ton_proof from the bound wallet; then
// store.ts requestWithdrawal queues it and debits the amount and the fee. Too little money says how much can go.
import type { TonProofRequest } from '@cocoon/shared';
import type { Config } from '../config';
import type { Db, Queryable } from '../db';
import { HttpError, InsufficientFunds } from '../errors';
import { userBalances } from '../ledger/ledger';
import { assertNoPendingChange, walletState } from '../wallet/wallet-binding';
import { findWithdrawal, type WithdrawalRow } from './repository';
import { requestWithdrawal } from './store';

type WithdrawalRules = Pick<
  Config,
  'WITHDRAWAL_PROOF_ABOVE_NANO' | 'WITHDRAWAL_FEE_NANO' | 'MIN_WITHDRAWAL_NANO'
>;

export async function withdraw(
  db: Db,
  config: WithdrawalRules,
  args: {
    userId: string;
    amountNano: bigint;
    idempotencyKey: string;
    tonProof?: TonProofRequest;
    /** Checks a ton_proof made for this user; answers the proven wallet's canonical address. */
    proveWallet: (proof: TonProofRequest) => Promise<string>;
  },
): Promise<{ withdrawal: WithdrawalRow; created: boolean }> {
  const { userId, amountNano, idempotencyKey, tonProof } = args;
  const replay = await findWithdrawal(db, userId, idempotencyKey);
  if (replay) return { withdrawal: replay, created: false };
  const state = await walletState(db, userId);
  assertNoPendingChange(state);
  if (amountNano > config.WITHDRAWAL_PROOF_ABOVE_NANO) {
    if (!tonProof) {
      throw new HttpError(
        403,
        'fresh_proof_required',
        `withdrawals above ${config.WITHDRAWAL_PROOF_ABOVE_NANO} nanoTON need a fresh ton_proof from the bound wallet: reconnect your wallet and send its proof as tonProof`,
      );
    }
    // Check what can be checked before spending the proof's single-use payload.
    const { withdrawable } = await userBalances(db, userId);
    if (amountNano + config.WITHDRAWAL_FEE_NANO > withdrawable) throw await tooLittle(db, config, userId);
    if ((await args.proveWallet(tonProof)) !== state.wallet) {
      throw new HttpError(
        403,
        'wrong_wallet',
        'the ton_proof is from another wallet than the one withdrawals go to: reconnect the bound wallet',
      );
    }
  }
  return requestWithdrawal(db, {
    userId,
    amountNano,
    feeNano: config.WITHDRAWAL_FEE_NANO,
    minNano: config.MIN_WITHDRAWAL_NANO,
    idempotencyKey,
  }).catch(async (err) => {
    throw err instanceof InsufficientFunds ? await tooLittle(db, config, userId) : err;
  });
}

async function tooLittle(q: Queryable, config: WithdrawalRules, userId: string): Promise<InsufficientFunds> {
  const { withdrawable, trial } = await userBalances(q, userId);
  return new InsufficientFunds(
    `you can withdraw at most ${withdrawable} nanoTON less the ${config.WITHDRAWAL_FEE_NANO} nanoTON fee` +
      (trial > 0n ? `; your ${trial} nanoTON of trial credit pays for jobs only and can't be withdrawn` : ''),
  );
}
