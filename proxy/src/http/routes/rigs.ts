// A rig owner's rigs: register (token shown once), list with stats, pause, asks, rotate, revoke.

import { randomUUID } from 'node:crypto';
import { CONTRACT, formatTon, WORKER_CLOSE } from '@cocoon/shared';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { addToBond, withdrawBond } from '../../bonds/bonds';
import { badRequest, conflict, HttpError, notFound } from '../../errors';
import {
  ownedRig,
  registerRig,
  releaseRig,
  revokeRig,
  rigAudits,
  rigHistory,
  rigViews,
  rotateRigToken,
  setAsk,
  setPaused,
} from '../../rigs/repository';
import { requireOwner, routeGroup } from '../auth-hooks';
import type { AppContext } from '../context';
import { serve } from '../contract-route';

export function rigRoutes(app: FastifyInstance, ctx: AppContext): void {
  routeGroup(app, ctx, requireOwner, (app) => rigOwnerRoutes(app, ctx));
}

function rigOwnerRoutes(app: FastifyInstance, ctx: AppContext): void {
  const owner = (req: FastifyRequest) => req.caller.user.id;
  // A rig that isn't the caller's is "no such rig" (404), the same answer as one that doesn't exist.
  const view = async (ownerId: string, rigId: string) => {
    const rig = (await rigViews(ctx.db, ctx.config, ownerId, rigId))[0];
    if (!rig) throw notFound('no such rig');
    return rig;
  };

  serve(app, CONTRACT.rigs, async (_, req) => ({ rigs: await rigViews(ctx.db, ctx.config, owner(req)) }));

  serve(app, CONTRACT.registerRig, async ({ body: { name } }, req, reply) => {
    const ownerId = owner(req);
    const { id, token } = await registerRig(ctx.db, ownerId, name);
    reply.code(201);
    return { rig: await view(ownerId, id), token };
  });

  serve(app, CONTRACT.setRigPaused, async ({ params: { id }, body: { paused } }, req) => {
    const ownerId = owner(req);
    await ownedRig(ctx.db, ownerId, id);
    await setPaused(ctx.db, id, paused);
    return view(ownerId, id);
  });

  serve(app, CONTRACT.setAsk, async ({ params: { id, model }, body: { priceNanoPer1k } }, req) => {
    const ownerId = owner(req);
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

  serve(app, CONTRACT.rotateRigToken, async ({ params: { id } }, req) => {
    const ownerId = owner(req);
    const token = await rotateRigToken(ctx.db, ownerId, id);
    ctx.workers.get(id)?.close(WORKER_CLOSE.badToken, 'rig token rotated');
    return { token };
  });

  serve(app, CONTRACT.attestRig, async ({ params: { id } }, req, reply) => {
    const ownerId = owner(req);
    await ownedRig(ctx.db, ownerId, id);
    const rig = await view(ownerId, id);
    if (rig.trust.tee !== 'tdx')
      throw conflict(
        'this rig runs without a TEE: start its worker inside an Intel TDX guest with --tee tdx',
        'no_tee',
      );
    const sent = ctx.workers.get(id)?.requestEvidence(true);
    if (sent === 'too_soon')
      throw new HttpError(
        429,
        'too_soon',
        'its evidence was asked for a moment ago; try again in a few seconds',
      );
    if (sent !== 'sent')
      throw conflict(
        'the rig is not connected to this proxy right now; its evidence is checked when it reconnects',
        'not_connected',
      );
    reply.code(202);
    return rig;
  });

  serve(app, CONTRACT.rigHistory, async ({ params: { id } }, req) => {
    await ownedRig(ctx.db, owner(req), id);
    return rigHistory(ctx.db, id);
  });

  serve(app, CONTRACT.rigAudits, async ({ params: { id } }, req) => {
    await ownedRig(ctx.db, owner(req), id);
    return { audits: await rigAudits(ctx.db, id) };
  });

  serve(app, CONTRACT.releaseRig, async ({ params: { id } }, req) => {
    const ownerId = owner(req);
    await ownedRig(ctx.db, ownerId, id);
    const before = await view(ownerId, id);
    if (!before.quarantine) return before;
    const short = BigInt(before.bondRequiredNano) - BigInt(before.bondNano);
    if (short > 0n)
      throw new HttpError(
        409,
        'bond_short',
        `put ${formatTon(short)} TON more into the rig's bond first: a rig comes back bonded`,
      );
    await releaseRig(ctx.db, id);
    return view(ownerId, id);
  });

  serve(app, CONTRACT.addBond, async ({ params: { id }, body: { amountNano } }, req) => {
    const ownerId = owner(req);
    await ownedRig(ctx.db, ownerId, id);
    const amount = BigInt(amountNano);
    if (amount <= 0n) throw badRequest('amountNano: must be more than 0', 'bad_amount');
    await ctx.db.tx((q) => addToBond(q, id, ownerId, amount, randomUUID()));
    return view(ownerId, id);
  });

  serve(app, CONTRACT.withdrawBond, async ({ params: { id } }, req) => {
    const ownerId = owner(req);
    await ownedRig(ctx.db, ownerId, id);
    await ctx.db.tx((q) => withdrawBond(q, ctx.config, id, ownerId));
    return view(ownerId, id);
  });

  serve(app, CONTRACT.revokeRig, async ({ params: { id } }, req) => {
    const ownerId = owner(req);
    await ownedRig(ctx.db, ownerId, id);
    await revokeRig(ctx.db, id);
    ctx.workers.get(id)?.close(WORKER_CLOSE.badToken, 'rig token revoked');
    return view(ownerId, id);
  });
}
