// Registers a route from its contract entry (shared/src/contract): method and path come from the entry,
// and the request parts it names are parsed with its schemas before the handler runs (params, then query,
// then body; a failure is a 400 naming the field). The entry rides along in the route's config, where
// the response check of tests (BuildOptions.checkResponses) finds it.
import type { HttpRoute, ParsedRequest, ResponseOf } from '@cocoon/shared';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parse } from './parse';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The contract entry the route was registered from. */
    contract?: HttpRoute;
  }
}

/** Answers with the route's response (or nothing, when it hijacked the reply to stream events). */
export type ContractHandler<R extends HttpRoute> = (
  input: ParsedRequest<R>,
  req: FastifyRequest,
  reply: FastifyReply,
) => Promise<ResponseOf<R> | undefined>;

export function serve<R extends HttpRoute>(app: FastifyInstance, r: R, handler: ContractHandler<R>): void {
  app.route({
    method: r.method,
    url: r.path,
    config: { contract: r },
    handler: async (req, reply) => {
      const input = {
        params: r.request.params ? parse(r.request.params, req.params) : undefined,
        query: r.request.query ? parse(r.request.query, req.query) : undefined,
        body: r.request.body ? parse(r.request.body, req.body) : undefined,
      } as ParsedRequest<R>;
      return handler(input, req, reply);
    },
  });
}
