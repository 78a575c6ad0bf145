// Every error and unknown route answers { error: { code, message } }: an HttpError with its own status and
// code, a client error (4xx) from Fastify with its code in lower case, anything else a logged 500.
import type { FastifyPluginAsync } from 'fastify';
import { HttpError } from '../../errors';
import { appWide } from './app-wide';

export const errorsPlugin: FastifyPluginAsync<{ bodyLimit: number }> = appWide(async (app, { bodyLimit }) => {
  app.setErrorHandler((err, req, reply) => {
    if (err instanceof HttpError) {
      reply.code(err.status).send({ error: { code: err.code, message: err.message } });
      return;
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      const code = (err as { code?: string }).code ?? 'bad_request';
      const message =
        code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `the request body is over ${bodyLimit} bytes`
          : (err as Error).message;
      reply.code(status).send({ error: { code: code.toLowerCase(), message } });
      return;
    }
    req.log.error({ err, url: req.url.split('?')[0] }, 'request failed');
    reply.code(500).send({ error: { code: 'internal', message: 'internal error' } });
  });
  app.setNotFoundHandler((req, reply) => {
    reply
      .code(404)
      .send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });
});
