// The gateway's Fastify server: its limits, the loopback guard, and OpenAI-shaped answers for every error
// and unknown route.
import type { LogFormat, LogLevel } from '@cocoon/shared';
import {
  createLogger,
  DEFAULT_HTTP_TIMEOUTS,
  fastifyTimeouts,
  type HttpTimeouts,
  logRequestAtDebug,
} from '@cocoon/shared/node';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from 'fastify';
import { invalidRequest, type OpenAiError } from './errors';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const BODY_LIMIT = 1_048_576;

export interface ServerOptions {
  logger?: FastifyBaseLogger;
  logLevel?: LogLevel;
  logFormat?: LogFormat;
  timeouts?: Partial<HttpTimeouts>;
}

/** Answers an OpenAI-shaped error; one that must not be retried says so in x-should-retry. */
export function sendOpenAiError(reply: FastifyReply, e: OpenAiError) {
  if (!e.retry) reply.header('x-should-retry', 'false');
  return reply.code(e.status).send(e.body);
}

function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  return hostHeader.split(':')[0].toLowerCase();
}

export function createGatewayServer(opts: ServerOptions, host: string): FastifyInstance {
  const app = Fastify({
    ...(opts.logger || opts.logLevel
      ? {
          loggerInstance: (opts.logger ??
            createLogger({
              name: 'cocoon-client',
              level: opts.logLevel,
              format: opts.logFormat,
            })) as FastifyBaseLogger,
        }
      : { logger: false }),
    bodyLimit: BODY_LIMIT,
    // A request must arrive in time: a body dripped slowly is cut, not held.
    ...fastifyTimeouts({ ...DEFAULT_HTTP_TIMEOUTS, idleMs: 0, ...opts.timeouts }),
    // Request logs only at debug (the onResponse hook): at info the console shows events.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.addHook('onResponse', logRequestAtDebug);
  // The gateway spends its owner's balance for whoever reaches it. Bound to loopback, it answers only
  // requests addressed to a loopback name, so a web page can't reach it through DNS rebinding.
  if (LOOPBACK_HOSTS.has(host)) guardLoopback(app);
  answerErrors(app);
  return app;
}

function guardLoopback(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    const h = req.headers.host;
    if (!h || !LOOPBACK_HOSTS.has(hostnameOf(h))) {
      return sendOpenAiError(reply, {
        status: 403,
        body: {
          error: {
            message: 'this gateway only answers requests addressed to 127.0.0.1 or localhost',
            type: 'permission_error',
            code: 'forbidden_host',
            param: null,
          },
        },
        retry: false,
      });
    }
  });
}

function answerErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode;
    if (status && status >= 400 && status < 500) {
      const message =
        err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `the request body is over ${BODY_LIMIT} bytes`
          : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? 'send the request body as application/json'
            : err.message;
      return sendOpenAiError(reply, {
        ...invalidRequest(message, null, (err.code ?? 'invalid_request').toLowerCase()),
        status,
      });
    }
    req.log.error({ err: { message: err.message, code: err.code } }, 'request failed');
    return sendOpenAiError(reply, {
      status: 500,
      body: { error: { message: 'internal error', type: 'api_error', code: 'internal', param: null } },
      retry: true,
    });
  });
  app.setNotFoundHandler((req, reply) =>
    sendOpenAiError(reply, {
      status: 404,
      body: {
        error: {
          message: `no route ${req.method} ${req.url.split('?')[0]}; this gateway serves GET /v1/models, POST /v1/chat/completions and POST /v1/completions`,
          type: 'invalid_request_error',
          code: 'not_found',
          param: null,
        },
      },
      retry: false,
    }),
  );
}
