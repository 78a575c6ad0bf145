// GET /healthz (shared/src/contract/health.ts): the proxy is up and its database answers.
import { CONTRACT } from '@cocoon/shared';
import type { FastifyInstance } from 'fastify';
import { ping } from '../../db';
import type { AppContext } from '../context';
import { serve } from '../contract-route';

export function healthRoutes(app: FastifyInstance, ctx: AppContext): void {
  serve(app, CONTRACT.health, async () => {
    await ping(ctx.db);
    return { ok: true, db: ctx.db.kind, chain: ctx.chainKind };
  });
}
