// The caller's own account: balance, holds, ledger history, API keys.
import { randomUUID } from 'node:crypto';
import { CONTRACT } from '@cocoon/shared';
import type { FastifyInstance } from 'fastify';
import { hashSecret, newApiKey } from '../../auth/tokens';
import { notFound } from '../../errors';
import {
  balanceOf,
  heldFor,
  onchainAccount,
  starsAccount,
  trialAccount,
  userAccount,
  userBalances,
} from '../../ledger/ledger';
import { payerFor } from '../../onchain-accounts/payer';
import { starsOwedBy } from '../../stars/receivable';
import { findUser } from '../../users';
import { walletState } from '../../wallet/wallet-binding';
import { requireAccount, requireOwner, requireUser, routeGroup } from '../auth-hooks';
import type { AppContext } from '../context';
import { serve } from '../contract-route';

export function meRoutes(app: FastifyInstance, ctx: AppContext): void {
  routeGroup(app, ctx, requireUser, (app) => balanceRoutes(app, ctx));
  routeGroup(app, ctx, requireAccount, (app) => accountRoutes(app, ctx));
  routeGroup(app, ctx, requireOwner, (app) => credentialRoutes(app, ctx));
}

/** The balance: the bot's /balance reads it too. */
function balanceRoutes(app: FastifyInstance, ctx: AppContext): void {
  serve(app, CONTRACT.me, async (_, req) => {
    const caller = req.caller.user;
    const user = (await findUser(ctx.db, caller.id))!;
    const balances = await userBalances(ctx.db, user.id);
    const wallet = await walletState(ctx.db, user.id);
    return {
      telegramId: user.id,
      name: user.name,
      balanceNano: (balances.withdrawable + balances.trial).toString(),
      withdrawableNano: balances.withdrawable.toString(),
      trialNano: balances.trial.toString(),
      heldNano: (await heldFor(ctx.db, user.id)).toString(),
      onchainNano: (await payerFor(ctx.db, user.id)).onchain
        ? (await balanceOf(ctx.db, onchainAccount(user.id))).toString()
        : null,
      starsNano: (await balanceOf(ctx.db, starsAccount(user.id))).toString(),
      receivableNano: (await starsOwedBy(ctx.db, user.id)).toString(),
      depositMemo: user.deposit_memo,
      wallet: wallet.wallet,
      pendingWallet: wallet.pendingWallet,
      pendingWalletAt: wallet.pendingWalletAt?.toISOString() ?? null,
    };
  });
}

/** What the account did: ledger, jobs, API keys. */
function accountRoutes(app: FastifyInstance, ctx: AppContext): void {
  serve(app, CONTRACT.ledger, async (_, req) => {
    const { user } = req.caller;
    const r = await ctx.db.query<{
      tx_id: string;
      account_id: string;
      kind: string;
      amount: string;
      ref: string | null;
      created_at: Date;
    }>(
      `SELECT e.tx_id, e.account_id, t.kind, e.amount::text AS amount, t.ref, e.created_at FROM ledger_entries e
       JOIN ledger_tx t ON t.id = e.tx_id WHERE e.account_id = ANY($1::text[]) ORDER BY e.id DESC LIMIT 200`,
      [[userAccount(user.id), trialAccount(user.id), starsAccount(user.id)]],
    );
    return {
      entries: r.rows.map((e) => ({
        txId: e.tx_id,
        kind: e.kind,
        trial: e.account_id === trialAccount(user.id),
        stars: e.account_id === starsAccount(user.id),
        amountNano: e.amount,
        memo: e.ref,
        createdAt: new Date(e.created_at).toISOString(),
      })),
    };
  });

  serve(app, CONTRACT.myJobs, async (_, req) => {
    const { user } = req.caller;
    return { jobs: await ctx.jobs.listForUser(user.id) };
  });

  serve(app, CONTRACT.apiKeys, async (_, req) => {
    const { user } = req.caller;
    const r = await ctx.db.query<{ id: string; name: string; prefix: string; created_at: Date }>(
      'SELECT id, name, prefix, created_at FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at',
      [user.id],
    );
    return {
      keys: r.rows.map((k) => ({
        id: k.id,
        name: k.name,
        prefix: k.prefix,
        createdAt: new Date(k.created_at).toISOString(),
      })),
    };
  });
}

/** Making and revoking credentials: the account's owner in the Mini App only. */
function credentialRoutes(app: FastifyInstance, ctx: AppContext): void {
  serve(app, CONTRACT.createApiKey, async ({ body: { name } }, req, reply) => {
    const caller = req.caller;
    const key = newApiKey();
    const id = randomUUID();
    await ctx.db.query(
      'INSERT INTO api_keys (id, user_id, name, prefix, key_hash) VALUES ($1, $2, $3, $4, $5)',
      [id, caller.user.id, name, key.slice(0, 10), hashSecret(key)],
    );
    reply.code(201);
    return { id, name, key, prefix: key.slice(0, 10) };
  });

  serve(app, CONTRACT.revokeApiKey, async ({ params: { id } }, req) => {
    const { user } = req.caller;
    const r = await ctx.db.query(
      'UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id',
      [id, user.id],
    );
    if (!r.rows.length) throw notFound('no such API key');
    return { ok: true as const };
  });
}
