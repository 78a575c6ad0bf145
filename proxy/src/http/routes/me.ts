// The caller's own account: balance, holds, ledger history, API keys.
import { CONTRACT } from '@cocoon/shared';
import type { FastifyInstance } from 'fastify';
import { accountSummary, createApiKey, ledgerHistory, listApiKeys, revokeApiKey } from '../../me/service';
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
  serve(app, CONTRACT.me, async (_, req) => accountSummary(ctx.db, req.caller.user.id));
}

/** What the account did: ledger, jobs, API keys. */
function accountRoutes(app: FastifyInstance, ctx: AppContext): void {
  serve(app, CONTRACT.ledger, async (_, req) => ledgerHistory(ctx.db, req.caller.user.id));

  serve(app, CONTRACT.myJobs, async (_, req) => {
    const { user } = req.caller;
    return { jobs: await ctx.jobs.listForUser(user.id) };
  });

  serve(app, CONTRACT.apiKeys, async (_, req) => listApiKeys(ctx.db, req.caller.user.id));
}

/** Making and revoking credentials: the account's owner in the Mini App only. */
function credentialRoutes(app: FastifyInstance, ctx: AppContext): void {
  serve(app, CONTRACT.createApiKey, async ({ body: { name } }, req, reply) => {
    const key = await createApiKey(ctx.db, req.caller.user.id, name);
    reply.code(201);
    return key;
  });

  serve(app, CONTRACT.revokeApiKey, async ({ params: { id } }, req) =>
    revokeApiKey(ctx.db, req.caller.user.id, id),
  );
}
