// Unauthenticated routes: health, the price board and the model list.
import type { FastifyInstance } from 'fastify';
import { onlineModels, priceBoard } from '../../market/board';
import type { AppContext } from '../context';

export function publicRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/healthz', async () => {
    await ctx.db.query('SELECT 1');
    return { ok: true, db: ctx.db.kind, chain: ctx.chainKind };
  });
  app.get('/v1/market', async () => priceBoard(ctx.db, ctx.config.FEE_BPS));
  app.get('/v1/models', async () => onlineModels(ctx.db));
}
