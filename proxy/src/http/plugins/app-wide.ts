import type { FastifyPluginAsync, FastifyPluginCallback } from 'fastify';

/**
 * Marks a plugin as app-wide: its hooks and handlers apply to every route, not only to those it registers
 * (what the fastify-plugin package does, without the dependency).
 */
export function appWide<T extends FastifyPluginAsync<never> | FastifyPluginCallback<never>>(plugin: T): T {
  Object.assign(plugin, { [Symbol.for('skip-override')]: true });
  return plugin;
}
