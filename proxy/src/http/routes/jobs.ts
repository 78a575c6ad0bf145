// Quotes, sealed job submission, job status and the SSE stream of sealed chunks and the final result.
import { CONTRACT, type JobEvent, type JobView } from '@cocoon/shared';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { doneEventOf } from '../../jobs/events';
import { requireUser, routeGroup } from '../auth-hooks';
import type { AppContext } from '../context';
import { serve } from '../contract-route';

export function jobRoutes(app: FastifyInstance, ctx: AppContext): void {
  routeGroup(app, ctx, requireUser, (app) => {
    serve(app, CONTRACT.quote, async ({ body }, req, reply) => {
      const caller = req.caller;
      reply.code(201);
      return ctx.jobs.quote(caller.user.id, caller.apiKeyId, body);
    });

    // With `Accept: text/event-stream` the answer is the job's event stream (as from /events), which saves
    // a client one request per job; otherwise the job as JSON.
    serve(app, CONTRACT.submitJob, async ({ body }, req, reply) => {
      const { user } = req.caller;
      if (!String(req.headers.accept ?? '').includes('text/event-stream')) {
        reply.code(202);
        return ctx.jobs.submit(user.id, body);
      }
      // Subscribe before submitting, so the events the submit itself causes are not missed.
      await streamJobEvents(ctx, req, reply, body.quoteId, () => ctx.jobs.submit(user.id, body));
      return undefined; // hijacked: the events went out on the raw response
    });

    serve(app, CONTRACT.job, async ({ params }, req) => {
      const { user } = req.caller;
      return ctx.jobs.view(user.id, params.id);
    });

    // A job waiting for a rig can be cancelled: it fails and its hold goes back at once.
    serve(app, CONTRACT.cancelJob, async ({ params: { id } }, req) => {
      return ctx.jobs.cancel(req.caller.user.id, id);
    });

    serve(app, CONTRACT.reportJob, async ({ params: { id }, body: { reason } }, req, reply) => {
      await ctx.jobs.report(req.caller.user.id, id, reason);
      void ctx.audits.afterReport(id); // never throws; the report stands whatever the audit finds
      reply.code(201);
      return { ok: true as const };
    });

    serve(app, CONTRACT.jobEvents, async ({ params: { id } }, req, reply) => {
      const { user } = req.caller;
      // Subscribe before reading the state, so nothing published in between is missed.
      await streamJobEvents(ctx, req, reply, id, () => ctx.jobs.view(user.id, id));
      return undefined; // hijacked: the events went out on the raw response
    });
  });
}

/**
 * Answers with a job's server-sent events: its state now (from `current`, called after subscribing),
 * the chunks already streamed for the current attempt, then everything published until done or failed.
 * An error thrown by `current` is answered as usual (nothing has been sent yet).
 */
async function streamJobEvents(
  ctx: AppContext,
  req: FastifyRequest,
  reply: FastifyReply,
  jobId: string,
  current: () => Promise<JobView>,
): Promise<void> {
  const pending: JobEvent[] = [];
  let write: (e: JobEvent) => void = (e) => pending.push(e);
  const sub = ctx.hub.subscribe(jobId, (e) => write(e));
  let job: JobView;
  try {
    job = await current();
    if (job.state !== 'done' && job.state !== 'failed' && job.state !== 'expired') {
      // Not awaited: the stream starts now; what another proxy relays arrives whenever it does.
      ctx.jobs.watch(jobId).catch((err) => ctx.log.error({ err, jobId }, 'asking to watch a job failed'));
    }
  } catch (err) {
    sub.unsubscribe();
    throw err;
  }
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'access-control-allow-origin': '*',
  });
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(keepAlive);
    sub.unsubscribe();
    res.end();
  };
  const send = (e: JobEvent) => {
    if (ended) return;
    res.write(`data: ${JSON.stringify(e)}\n\n`);
    if (e.type === 'done' || e.type === 'failed') end();
  };
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  req.raw.on('close', end);

  const done = doneEventOf(job);
  if (done) {
    send(done);
    return;
  }
  if (job.state === 'failed' || job.state === 'expired') {
    send({ type: 'failed', reason: job.failReason ?? job.state });
    return;
  }
  send({ type: 'state', state: job.state, rigId: job.rigId, attempt: Math.max(job.attempts - 1, 0) });
  // Waiting for a rig: its place in line now (it hears again whenever the place moves).
  const place = job.state === 'queued' ? await ctx.jobs.placeOf(jobId).catch(() => null) : null;
  if (place) send(place);
  for (const e of sub.backlog) send(e);
  write = send;
  for (const e of pending) send(e);
}
