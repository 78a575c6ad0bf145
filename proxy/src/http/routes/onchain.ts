// On-chain accounts: the network's vault, a user's account contract (its address, its StateInit for the
// first deposit, what the chain and the ledger say of it), registering it as what pays the user's jobs, the
// voucher a user signs for each finished job, and a rig owner's on-chain payout.
import { CONTRACT, fromBase64 } from '@cocoon/shared';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../../errors';
import { onchainAccountView, requireBoundWallet } from '../../onchain-accounts/account-view';
import type { OnchainAccountsService } from '../../onchain-accounts/service';
import { requireAccount, requireOwner, requireUser, routeGroup } from '../auth-hooks';
import type { AppContext } from '../context';
import { serve } from '../contract-route';

export function onchainRoutes(
  app: FastifyInstance,
  ctx: AppContext,
  onchain: OnchainAccountsService | null,
): void {
  serve(app, CONTRACT.onchainConfig, async () => ({
    enabled: onchain !== null,
    vault: onchain?.vaultAddress ?? null,
    closeDelayS: ctx.config.ONCHAIN_CLOSE_DELAY_S,
    claimThresholdNano: ctx.config.ONCHAIN_CLAIM_THRESHOLD_NANO.toString(),
    feeBps: ctx.config.FEE_BPS,
    operatorKey: onchain ? onchain.vaultConfig.operatorKey.toString('hex') : null,
  }));

  const userId = (req: FastifyRequest) => req.caller.user!.id;
  const enabled = (): OnchainAccountsService => {
    if (!onchain)
      throw new HttpError(
        404,
        'onchain_off',
        'this network does not offer on-chain accounts (ONCHAIN_ACCOUNTS)',
      );
    return onchain;
  };

  const view = (id: string) => onchainAccountView(ctx.db, enabled(), id);

  routeGroup(app, ctx, requireAccount, (group) => {
    serve(group, CONTRACT.onchainAccount, async (_input, req) => view(userId(req)));
  });

  routeGroup(app, ctx, requireOwner, (group) => {
    serve(group, CONTRACT.registerOnchain, async (_input, req) => {
      const id = userId(req);
      const wallet = await requireBoundWallet(ctx.db, id, 'your account contract belongs to it');
      await enabled().register(id, wallet);
      return view(id);
    });
    serve(group, CONTRACT.onchainPayout, async ({ body }, req, reply) => {
      const id = userId(req);
      const wallet = await requireBoundWallet(ctx.db, id, 'payouts go to it');
      await enabled().payout(id, wallet, BigInt(body.amountNano));
      reply.code(201);
      return view(id);
    });
  });

  routeGroup(app, ctx, requireUser, (group) => {
    serve(group, CONTRACT.signJob, async ({ params, body }, req) => {
      const r = await enabled().acceptVoucher(userId(req), params.id, {
        amountNano: BigInt(body.amountNano),
        seq: BigInt(body.seq),
        signature: Buffer.from(fromBase64(body.signature)),
      });
      return { voucheredNano: r.vouchered.toString(), seq: r.seq.toString() };
    });
  });
}
