// Timeouts every HTTP server of Cocoon sets (proxy, gateway, bot webhook, emulator): a request's headers and
// body must arrive in time (a body dripped a byte at a time is cut, not held), an idle keep-alive connection
// closes, and a silent socket closes. Node checks the request deadlines on an interval; it is kept a fraction
// of the shortest deadline so a cut comes soon after the deadline.
import type { ServerOptions } from 'node:http';

export interface HttpTimeouts {
  /** The whole request, headers and body, must arrive within this. */
  requestMs: number;
  /** The headers must arrive within this (at most requestMs). */
  headersMs: number;
  /** An idle keep-alive connection closes after this. */
  keepAliveMs: number;
  /** A socket with no traffic either way closes after this; 0: never (a server whose answers wait long in silence). */
  idleMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  requestMs: 30_000,
  headersMs: 10_000,
  // Fastify's own default: well above a client's keep-alive idle time (undici: 4 s), so a client never sends a
  // request on a socket the server is just closing (an ECONNRESET the client can't tell from a failure; at
  // 5 s the race showed under load).
  keepAliveMs: 72_000,
  idleMs: 120_000,
};

/** Options for node:http's createServer (the idle timeout is set with `server.setTimeout(idleMs)`). */
export function httpServerOptions(t: HttpTimeouts): ServerOptions {
  return {
    requestTimeout: t.requestMs,
    headersTimeout: Math.min(t.headersMs, t.requestMs),
    keepAliveTimeout: t.keepAliveMs,
    connectionsCheckingInterval: Math.max(
      50,
      Math.min(5_000, Math.floor(Math.min(t.headersMs, t.requestMs) / 4)),
    ),
  };
}

/** The same for Fastify's constructor. */
export function fastifyTimeouts(t: HttpTimeouts) {
  return {
    requestTimeout: t.requestMs,
    keepAliveTimeout: t.keepAliveMs,
    connectionTimeout: t.idleMs,
    http: httpServerOptions(t),
  };
}
