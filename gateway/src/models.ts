// GET /v1/models from the proxy's model list, and the kinds each model is served for.
import type { CocoonClient, JobKind } from '@cocoon/shared';
import type { FastifyInstance } from 'fastify';
import { modelNotFound, toOpenAiError } from './errors';
import { openAiModel } from './mapping';
import { sendOpenAiError } from './server';

export function modelRoutes(app: FastifyInstance, cocoon: CocoonClient): void {
  app.get('/v1/models', async (_req, reply) => {
    try {
      const list = await cocoon.models();
      return { object: 'list', data: list.data.map(openAiModel) };
    } catch (err) {
      return sendOpenAiError(reply, await toOpenAiError(err));
    }
  });

  app.get('/v1/models/:id', async (req, reply) => {
    const id = (req.params as { id: string }).id;
    try {
      const m = (await cocoon.models()).data.find((d) => d.id === id);
      if (!m) return sendOpenAiError(reply, modelNotFound(id));
      return openAiModel(m);
    } catch (err) {
      return sendOpenAiError(reply, await toOpenAiError(err));
    }
  });
}

/** The kinds each model is served for, from the proxy's model list, kept for a few seconds. */
export function servedKindsOf(cocoon: CocoonClient): (model: string) => Promise<JobKind[] | undefined> {
  let kindsCache: { at: number; kinds: Map<string, JobKind[] | undefined> } | undefined;
  return async (model) => {
    if (!kindsCache || Date.now() - kindsCache.at > 10_000) {
      try {
        const list = await cocoon.models();
        kindsCache = { at: Date.now(), kinds: new Map(list.data.map((m) => [m.id, m.kinds])) };
      } catch {
        return undefined; // the job's own error will say what is wrong
      }
    }
    return kindsCache.kinds.get(model);
  };
}
