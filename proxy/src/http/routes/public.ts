// Unauthenticated routes: health, the price board and the model list.
import { CONTRACT } from '@cocoon/shared';
import type { FastifyInstance } from 'fastify';
import { onlineModels, priceBoard } from '../../market/board';
import type { AppContext } from '../context';
import { serve } from '../contract-route';

export function publicRoutes(app: FastifyInstance, ctx: AppContext): void {
  serve(app, CONTRACT.health, async () => {
    await ctx.db.query('SELECT 1');
    return { ok: true, db: ctx.db.kind, chain: ctx.chainKind };
  });
  serve(app, CONTRACT.market, async () => priceBoard(ctx.db, ctx.config));
  serve(app, CONTRACT.models, async () => onlineModels(ctx.db));
}
