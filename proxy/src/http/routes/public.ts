// Unauthenticated routes: health, the price board, the model list, the attestation policy and rigs' evidence.
import { CONTRACT } from '@cocoon/shared';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../errors';
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
  serve(app, CONTRACT.attestationPolicy, async () => {
    if (!ctx.attestation.signed)
      throw notFound('this network publishes no attestation policy: no rig is in the confidential tier');
    return ctx.attestation.signed;
  });
  serve(app, CONTRACT.rigEvidence, async ({ params }) => {
    const view = await ctx.attestation.evidenceView(params.id);
    if (!view) throw notFound('no such rig, or it has not connected yet');
    return view;
  });
}
