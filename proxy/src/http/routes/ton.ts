// TON payments: chain config, ton_proof payloads, wallet binding, withdrawals.
import { CONTRACT } from '@cocoon/shared';
import type { FastifyInstance } from 'fastify';
import { listWithdrawals } from '../../custodial/repository';
import type { CustodialTonService } from '../../custodial/service';
import { createDbProofPayloadStore, withdrawalView } from '../../custodial/store';
import { withdraw } from '../../custodial/withdraw';
import { createProofPayload } from '../../wallet/ton-proof';
import { bindWallet, cancelWalletChange, type WalletState, walletState } from '../../wallet/wallet-binding';
import { requireAccount, requireOwner, routeGroup } from '../auth-hooks';
import type { AppContext } from '../context';
import { serve } from '../contract-route';
import { PROOF_PAYLOAD_TTL_S, walletProofChecker } from './ton-wallet-proof';

function walletView(s: WalletState) {
  return {
    wallet: s.wallet,
    pendingWallet: s.pendingWallet,
    pendingWalletAt: s.pendingWalletAt?.toISOString() ?? null,
  };
}

export function tonRoutes(app: FastifyInstance, ctx: AppContext, ton: CustodialTonService): void {
  const { config } = ctx;
  const provenWallet = walletProofChecker(app, ctx, ton);

  serve(app, CONTRACT.tonConfig, async () => ({
    network: ton.network,
    serviceAddress: ton.chain.serviceAddress(),
    minWithdrawalNano: config.MIN_WITHDRAWAL_NANO.toString(),
    withdrawalFeeNano: config.WITHDRAWAL_FEE_NANO.toString(),
    withdrawalProofAboveNano: config.WITHDRAWAL_PROOF_ABOVE_NANO.toString(),
    walletChangeDelayS: config.WALLET_CHANGE_DELAY_S,
  }));

  routeGroup(app, ctx, requireOwner, (app) => {
    // Issued to the signed-in owner only, and usable by that user only: bounds the payload table, and a
    // payload someone else fetched can't be replayed into this account.
    serve(app, CONTRACT.proofPayload, async (_, req) => {
      const { payload, expiresAt } = await createProofPayload(
        createDbProofPayloadStore(ctx.db, req.caller.user.id),
        { ttlSeconds: PROOF_PAYLOAD_TTL_S },
      );
      return { payload, expiresAt };
    });

    serve(app, CONTRACT.bindWallet, async ({ body }, req, reply) => {
      const wallet = await provenWallet(req, body);
      const previous = body.previousWalletProof ? await provenWallet(req, body.previousWalletProof) : null;
      const state = await bindWallet(ctx.db, {
        userId: req.caller.user.id,
        wallet,
        oldWalletProven: previous,
        delayS: config.WALLET_CHANGE_DELAY_S,
      });
      // 202: accepted, takes effect at pendingWalletAt.
      if (state.wallet !== wallet) reply.code(202);
      return walletView(state);
    });

    serve(app, CONTRACT.cancelWalletChange, async (_, req) =>
      walletView(await cancelWalletChange(ctx.db, req.caller.user.id)),
    );

    serve(app, CONTRACT.withdraw, async ({ body }, req, reply) => {
      const { withdrawal, created } = await withdraw(ctx.db, config, {
        userId: req.caller.user.id,
        ...body,
        proveWallet: (proof) => provenWallet(req, proof),
      });
      if (created) ton.pokeSender();
      reply.code(created ? 201 : 200);
      return withdrawalView(withdrawal);
    });
  });

  routeGroup(app, ctx, requireAccount, (app) => {
    serve(app, CONTRACT.wallet, async (_, req) => walletView(await walletState(ctx.db, req.caller.user.id)));
    serve(app, CONTRACT.withdrawals, async (_, req) => ({
      withdrawals: (await listWithdrawals(ctx.db, req.caller.user.id)).map(withdrawalView),
    }));
  });
}
