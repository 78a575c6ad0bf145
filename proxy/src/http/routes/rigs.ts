// A rig owner's rigs: register (token shown once), list with stats, pause, asks, rotate, revoke.
import { modelId, registerRigRequest, setAskRequest, updateRigRequest } from '@cocoon/shared';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { badRequest, notFound } from '../../errors';
import {
  ownedRig,
  registerRig,
  revokeRig,
  rigViews,
  rotateRigToken,
  setAsk,
  setPaused,
} from '../../rigs/repository';
import { requireOwner, routeGroup } from '../auth-hooks';
import type { AppContext } from '../context';
import { parse } from '../parse';

const rigParams = z.object({ id: z.string().uuid('must be a rig id (uuid)') });

export function rigRoutes(app: FastifyInstance, ctx: AppContext): void {
  routeGroup(app, ctx, requireOwner, (app) => rigOwnerRoutes(app, ctx));
}

function rigOwnerRoutes(app: FastifyInstance, ctx: AppContext): void {
  const owner = (req: FastifyRequest) => req.caller.user.id;
  const view = async (ownerId: string, rigId: string) => (await rigViews(ctx.db, ownerId, rigId))[0];

  app.get('/v1/rigs', async (req) => ({ rigs: await rigViews(ctx.db, owner(req)) }));

  app.post('/v1/rigs', async (req, reply) => {
    const ownerId = owner(req);
    const { name } = parse(registerRigRequest, req.body);
    const { id, token } = await registerRig(ctx.db, ownerId, name);
    reply.code(201);
    return { rig: await view(ownerId, id), token };
  });

  app.patch('/v1/rigs/:id', async (req) => {
    const ownerId = owner(req);
    const { id } = parse(rigParams, req.params);
    const { paused } = parse(updateRigRequest, req.body);
    await ownedRig(ctx.db, ownerId, id);
    await setPaused(ctx.db, id, paused);
    return view(ownerId, id);
  });

  app.put('/v1/rigs/:id/asks/:model', async (req) => {
    const ownerId = owner(req);
    const { id, model } = parse(rigParams.extend({ model: modelId }), req.params);
    const { priceNanoPer1k } = parse(setAskRequest, req.body);
    const ceiling = ctx.config.MAX_ASK_NANO_PER_1K;
    if (priceNanoPer1k > ceiling)
      throw badRequest(
        `priceNanoPer1k: the highest ask is ${ceiling} nanoTON per 1,000 tokens`,
        'ask_too_high',
      );
    await ownedRig(ctx.db, ownerId, id);
    if (!(await setAsk(ctx.db, id, model, priceNanoPer1k)))
      throw notFound(`this rig has never served ${model}; start the worker first`);
    return view(ownerId, id);
  });

  app.post('/v1/rigs/:id/rotate', async (req) => {
    const ownerId = owner(req);
    const { id } = parse(rigParams, req.params);
    const token = await rotateRigToken(ctx.db, ownerId, id);
    ctx.workers.get(id)?.close(4401, 'rig token rotated');
    return { token };
  });

  app.delete('/v1/rigs/:id', async (req) => {
    const ownerId = owner(req);
    const { id } = parse(rigParams, req.params);
    await ownedRig(ctx.db, ownerId, id);
    await revokeRig(ctx.db, id);
    ctx.workers.get(id)?.close(4401, 'rig token revoked');
    return view(ownerId, id);
  });
}
