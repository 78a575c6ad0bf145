// The operator's routes (shared/src/contract/admin.ts, ADMIN_KEY): deposits nobody could be credited for.
import { CONTRACT } from '@cocoon/shared';
import type { FastifyInstance } from 'fastify';
import { unclaimedDeposits } from '../../custodial/repository';
import { adminGroup } from '../auth-hooks';
import type { AppContext } from '../context';
import { serve } from '../contract-route';

export function adminRoutes(app: FastifyInstance, ctx: AppContext): void {
  adminGroup(app, ctx, (app) => {
    serve(app, CONTRACT.unclaimed, async () => {
      const { deposits, totalNano } = await unclaimedDeposits(ctx.db);
      return {
        totalNano,
        deposits: deposits.map((d) => ({
          txKey: d.tx_key,
          amountNano: d.amount_nano,
          from: d.from_address,
          comment: d.comment,
          createdAt: new Date(d.created_at).toISOString(),
        })),
      };
    });
  });
}
