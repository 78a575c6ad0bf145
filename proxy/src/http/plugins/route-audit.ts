// What the tests read back from a built proxy: every route registered, and (with `checkResponses`) every
// success answer that broke its route's contract.
import { describeIssues, routeKey } from '@cocoon/shared';
import type { FastifyPluginAsync } from 'fastify';
import { appWide } from './app-wide';

export interface RouteAuditOptions {
  /** Filled with "METHOD /path" for each route registered after this plugin. */
  routes: string[];
  /** When given, each 2xx JSON answer is checked against its contract; a breach becomes a 500 and is listed. */
  responseViolations?: string[];
}

export const routeAuditPlugin: FastifyPluginAsync<RouteAuditOptions> = appWide(async (app, opts) => {
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD') opts.routes.push(`${m} ${r.url}`);
  });
  const violations = opts.responseViolations;
  if (!violations) return;
  app.addHook('preSerialization', async (req, reply, payload) => {
    const contract = req.routeOptions.config.contract;
    if (!contract || reply.statusCode < 200 || reply.statusCode >= 300) return payload;
    const problems: string[] = [];
    const statuses = contract.status ?? [200];
    if (!statuses.includes(reply.statusCode)) {
      problems.push(`status ${reply.statusCode}, the contract says ${statuses.join(' or ')}`);
    }
    const checked = contract.response.safeParse(payload);
    if (!checked.success) problems.push(describeIssues(checked.error));
    if (problems.length === 0) return payload;
    const violation = `${routeKey(contract)}: ${problems.join('; ')}`;
    violations.push(violation);
    throw new Error(`the response breaks the contract: ${violation}`);
  });
});
