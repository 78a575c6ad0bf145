// CORS for every route. Auth travels in the Authorization header, never in cookies, so any origin may call.
import type { FastifyPluginAsync } from 'fastify';
import { appWide } from './app-wide';

export const corsPlugin: FastifyPluginAsync = appWide(async (app) => {
  app.addHook('onRequest', async (req, reply) => {
    reply.header('access-control-allow-origin', '*');
    if (req.method === 'OPTIONS') {
      reply
        .header('access-control-allow-methods', 'GET,POST,PUT,PATCH,DELETE,OPTIONS')
        .header('access-control-allow-headers', 'authorization,content-type,x-cocoon-user,x-cocoon-user-name')
        .header('access-control-max-age', '600')
        .code(204)
        .send();
    }
  });
});
