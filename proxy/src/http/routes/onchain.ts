// On-chain accounts: the network's vault, a user's account contract (its address, its StateInit for the
// first deposit, what the chain and the ledger say of it), registering it as what pays the user's jobs, the
// voucher a user signs for each finished job, and a rig owner's on-chain payout.
import { CONTRACT, fromBase64, type OnchainAccountView } from '@cocoon/shared';
import { beginCell, type Cell, storeStateInit } from '@ton/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { conflict, HttpError } from '../../errors';
import { balanceOf, onchainAccount } from '../../ledger/ledger';
import { payoutVoucher, unsignedVoucherJob } from '../../onchain-accounts/repository';
import type { OnchainAccountsService } from '../../onchain-accounts/service';
import { walletState } from '../../wallet/wallet-binding';
import { requireAccount, requireOwner, requireUser, routeGroup } from '../auth-hooks';
import type { AppContext } from '../context';
import { serve } from '../contract-route';

function stateInitBoc(init: { code: Cell; data: Cell }): string {
  return beginCell().store(storeStateInit(init)).endCell().toBoc().toString('base64');
}

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

  async function view(id: string): Promise<OnchainAccountView> {
    const service = enabled();
    const { wallet } = await walletState(ctx.db, id);
    const row = await service.sync(id);
    const due = await unsignedVoucherJob(ctx.db, id);
    // The voucher of the bound wallet's RigAccount: what was moved to this wallet, by whichever account.
    const p = wallet ? await payoutVoucher(ctx.db, id, wallet) : undefined;
    let account: OnchainAccountView['account'] = null;
    if (wallet) {
      const contract = service.userAccountFor(wallet);
      const data = await service.readAccount(contract.address);
      account = {
        address: contract.address.toString(),
        stateInit: stateInitBoc(contract.init!),
        depositPayload: service.depositBody().toBoc().toString('base64'),
        deployed: data !== null,
        spendKey: data && data.spendKey !== 0n ? data.spendKey.toString(16).padStart(64, '0') : null,
        deposited: (data?.deposited ?? 0n).toString(),
        claimed: (data?.claimed ?? 0n).toString(),
        withdrawn: (data?.withdrawn ?? 0n).toString(),
        available: (data?.available ?? 0n).toString(),
        closeRequestedAt: data?.closeRequestedAt
          ? new Date(data.closeRequestedAt * 1000).toISOString()
          : null,
      };
    }
    return {
      wallet,
      account,
      registered: row !== undefined,
      mirrorNano: (await balanceOf(ctx.db, onchainAccount(id))).toString(),
      voucheredNano: row?.vouchered ?? '0',
      voucherSeq: row?.voucher_seq ?? '0',
      voucherDue: due ? { jobId: due.id, amountNano: due.due } : null,
      rigAccount: wallet ? service.rigAccountFor(wallet).address.toString() : null,
      payout: p
        ? {
            amountNano: p.amount,
            seq: p.seq,
            signature: p.signature,
            payload: service.claimEarningsPayload(BigInt(p.amount), BigInt(p.seq), fromBase64(p.signature)),
            stateInit: stateInitBoc(service.rigAccountFor(wallet!).init!),
          }
        : null,
    };
  }

  routeGroup(app, ctx, requireAccount, (group) => {
    serve(group, CONTRACT.onchainAccount, async (_input, req) => view(userId(req)));
  });

  routeGroup(app, ctx, requireOwner, (group) => {
    serve(group, CONTRACT.registerOnchain, async (_input, req) => {
      const id = userId(req);
      const { wallet } = await walletState(ctx.db, id);
      if (!wallet)
        throw conflict('bind a wallet first (TON Connect): your account contract belongs to it', 'no_wallet');
      await enabled().register(id, wallet);
      return view(id);
    });
    serve(group, CONTRACT.onchainPayout, async ({ body }, req, reply) => {
      const id = userId(req);
      const { wallet } = await walletState(ctx.db, id);
      if (!wallet) throw conflict('bind a wallet first (TON Connect): payouts go to it', 'no_wallet');
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
