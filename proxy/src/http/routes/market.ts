// The public market (shared/src/contract/market.ts): the price board and the model list. Unauthenticated.
import { CONTRACT } from '@cocoon/shared';
import type { FastifyInstance } from 'fastify';
import { onlineModels, priceBoard } from '../../market/board';
import type { AppContext } from '../context';
import { serve } from '../contract-route';

export function marketRoutes(app: FastifyInstance, ctx: AppContext): void {
  serve(app, CONTRACT.market, async () => priceBoard(ctx.db, ctx.config));
  serve(app, CONTRACT.models, async () => onlineModels(ctx.db));
}
