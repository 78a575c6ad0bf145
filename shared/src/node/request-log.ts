// One log line per HTTP request, at debug level, for the proxy and the gateway (Fastify's onResponse hook).
// Both turn Fastify's own request logging off, so at info the console shows events, not traffic.

/** What the hook reads of a Fastify request and reply (typed structurally: shared doesn't depend on Fastify). */
interface LoggedRequest {
  method: string;
  url: string;
  log: { debug(fields: object, message: string): void };
}
interface LoggedReply {
  statusCode: number;
  elapsedTime: number;
}

/** `app.addHook('onResponse', logRequestAtDebug)`: method, path (never the query), status and milliseconds. */
export async function logRequestAtDebug(req: LoggedRequest, reply: LoggedReply): Promise<void> {
  req.log.debug(
    {
      method: req.method,
      url: req.url.split('?')[0],
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    },
    'request',
  );
}
