// The API contract: per resource, each HTTP route's method, path, request and response schemas; and the
// worker channel both ways. The proxy registers its routes from these entries, the clients call them.
import { METRICS_PATH } from './admin';
import { API_ROUTES } from './api';
import { devRoutes } from './dev';
import { PAYOUTS_CSV_PATH, RIG_JOBS_CSV_PATH } from './rigs';
import type { HttpRoute } from './route';
import { WORKER_CHANNEL_PATH } from './worker-channel';

export * from './admin';
export * from './api';
export * from './attestation';
export * from './chat-history';
export * from './dev';
export * from './health';
export * from './jobs';
export * from './market';
export * from './me';
export * from './onchain';
export * from './rigs';
export * from './route';
export * from './stars';
export * from './ton';
export * from './worker-channel';

/** Every HTTP route, by name: the API and the dev routes (local mode, the sandbox chain). */
export const CONTRACT = { ...API_ROUTES, ...devRoutes } as const satisfies Record<string, HttpRoute>;
export type ContractRouteName = keyof typeof CONTRACT;

/** "METHOD /path" for a route, as the proxy lists what it registered. */
export function routeKey(r: Pick<HttpRoute, 'method' | 'path'>): string {
  return `${r.method} ${r.path}`;
}

/** The contract's routes by "METHOD /path". */
export const CONTRACT_BY_KEY: ReadonlyMap<string, HttpRoute> = new Map(
  Object.values(CONTRACT).map((r) => [routeKey(r), r as HttpRoute]),
);

/**
 * Routes the proxy registers that are not JSON HTTP routes, so have no entry above: the worker's WebSocket
 * (its messages are `workerToProxy` / `proxyToWorker`), the built Mini App's static files, and the metrics
 * (Prometheus text, ADMIN_KEY).
 */
export const NON_CONTRACT_ROUTES: readonly string[] = [
  `GET ${WORKER_CHANNEL_PATH}`,
  'GET /*',
  `GET ${METRICS_PATH}`,
  `GET ${RIG_JOBS_CSV_PATH}`,
  `GET ${PAYOUTS_CSV_PATH}`,
];
