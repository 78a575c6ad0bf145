// The routes a deployed proxy serves, by name: everything but the dev routes, so what imports this (the
// shared client, and with it the Mini App's production bundle) carries no /dev/* path.
import { adminRoutes } from './admin';
import { attestationRoutes } from './attestation';
import { chatHistoryRoutes } from './chat-history';
import { healthRoutes } from './health';
import { jobRoutes } from './jobs';
import { marketRoutes } from './market';
import { meRoutes } from './me';
import { onchainRoutes } from './onchain';
import { rigRoutes } from './rigs';
import type { HttpRoute } from './route';
import { starsRoutes } from './stars';
import { tonRoutes } from './ton';

export const API_ROUTES = {
  ...healthRoutes,
  ...marketRoutes,
  ...meRoutes,
  ...jobRoutes,
  ...rigRoutes,
  ...attestationRoutes,
  ...tonRoutes,
  ...onchainRoutes,
  ...starsRoutes,
  ...chatHistoryRoutes,
  ...adminRoutes,
} as const satisfies Record<string, HttpRoute>;
