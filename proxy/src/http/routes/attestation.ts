// Attestation (shared/src/contract/attestation.ts): the signed policy and each rig's evidence. Unauthenticated.
import { CONTRACT } from '@cocoon/shared';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../errors';
import type { AppContext } from '../context';
import { serve } from '../contract-route';

export function attestationRoutes(app: FastifyInstance, ctx: AppContext): void {
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
