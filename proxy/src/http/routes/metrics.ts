// GET /metrics: the proxy's metrics in the Prometheus text format (docs/metrics.md), for the operator's
// Prometheus alone (ADMIN_KEY, like every admin route). Text, not JSON: outside the contract's routes.
import { METRICS_PATH } from '@cocoon/shared';
import type { FastifyInstance } from 'fastify';
import type { ProxyMetrics } from '../../metrics';
import { adminGroup } from '../auth-hooks';
import type { AppContext } from '../context';

export function metricsRoutes(app: FastifyInstance, ctx: AppContext, metrics: ProxyMetrics): void {
  adminGroup(app, ctx, (app) => {
    app.get(METRICS_PATH, async (_req, reply) => {
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    });
  });
}
