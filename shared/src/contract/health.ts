// Liveness: the database answered, and which chain the proxy runs on.
import { z } from 'zod';
import { getRoute } from './route';

export const healthView = z.strictObject({
  ok: z.boolean(),
  db: z.enum(['pglite', 'postgres']),
  chain: z.string(),
});
export type HealthView = z.infer<typeof healthView>;

export const healthRoutes = {
  health: getRoute('/healthz', healthView),
} as const;
