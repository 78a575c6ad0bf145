// A withdrawal request: replayed by its idempotency key, refused while a wallet change waits, and above the
// proof threshold only with a fresh ton_proof from the bound wallet.
import type { withdrawalRequest } from '@cocoon/shared';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { findWithdrawal, requestWithdrawal } from '../../custodial/store';
import { HttpError, InsufficientFunds } from '../../errors';
import { userBalances } from '../../ledger/ledger';
import { assertNoPendingChange, walletState } from '../../wallet/wallet-binding';
import type { AppContext } from '../context';
import type { ProvenWallet } from './ton-wallet-proof';

/** Why a withdrawal is refused for want of funds, saying how much can be withdrawn. */
export async function insufficientFor(ctx: AppContext, userId: string): Promise<InsufficientFunds> {
  const { config } = ctx;
  const { withdrawable, trial } = await userBalances(ctx.db, userId);
  return new InsufficientFunds(
    `you can withdraw at most ${withdrawable} nanoTON less the ${config.WITHDRAWAL_FEE_NANO} nanoTON fee` +
      (trial > 0n ? `; your ${trial} nanoTON of trial credit pays for jobs only and can't be withdrawn` : ''),
  );
}

/** Records the withdrawal (or finds its replay); `created` says whether it is new. */
export async function withdraw(
  ctx: AppContext,
  provenWallet: ProvenWallet,
  req: FastifyRequest,
  { amountNano, idempotencyKey, tonProof }: z.output<typeof withdrawalRequest>,
) {
  const { config } = ctx;
  const userId = req.caller.user.id;
  const replay = await findWithdrawal(ctx.db, userId, idempotencyKey);
  if (replay) return { withdrawal: replay, created: false };
  const state = await walletState(ctx.db, userId);
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
    const { withdrawable } = await userBalances(ctx.db, userId);
    if (amountNano + config.WITHDRAWAL_FEE_NANO > withdrawable) throw await insufficientFor(ctx, userId);
    if ((await provenWallet(req, tonProof)) !== state.wallet) {
      throw new HttpError(
        403,
        'wrong_wallet',
        'the ton_proof is from another wallet than the one withdrawals go to: reconnect the bound wallet',
      );
    }
  }
  return requestWithdrawal(ctx.db, {
    userId,
    amountNano,
    feeNano: config.WITHDRAWAL_FEE_NANO,
    minNano: config.MIN_WITHDRAWAL_NANO,
    idempotencyKey,
  }).catch(async (err) => {
    throw err instanceof InsufficientFunds ? await insufficientFor(ctx, userId) : err;
  });
}
