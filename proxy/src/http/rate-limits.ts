// Rate limits (@fastify/rate-limit), counted per proxy process in memory: with N proxies behind a balancer
// a caller gets up to N times these. Each caller is counted by who they are, not by connection: a Mini App
// user or the bot acting for a user by the Telegram user (so one chatty group member can't spend the bot's
// budget for everyone), a developer app by the user who owns its API key (one bucket across all of that
// user's keys: making more keys buys no more), a rig by its token, anyone else by IP address.
// Quotes have their own, smaller bucket. Over a limit: 429 with retry-after, in the API's error shape.

import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config';
import { HttpError } from '../errors';
import { clientAddressKey } from './address-key';

function callerKey(req: FastifyRequest): { key: string; known: boolean } {
  const caller = (req as Partial<FastifyRequest>).caller;
  if (caller) {
    return { key: `user:${caller.user.id}`, known: true };
  }
  if (req.routeOptions.url === '/v1/worker') {
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    if (token) return { key: `rig:${createHash('sha256').update(token).digest('hex')}`, known: true };
  }
  return { key: `ip:${clientAddressKey(req.ip)}`, known: false };
}

const isQuote = (req: FastifyRequest) => req.method === 'POST' && req.routeOptions.url === '/v1/quotes';
const isRigConnect = (req: FastifyRequest) => req.routeOptions.url === '/v1/worker';

export async function registerRateLimits(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    // After the route group's auth hook, so the caller is known; unauthenticated routes count by IP.
    hook: 'preHandler',
    timeWindow: 60_000,
    keyGenerator: (req) => {
      const { key } = callerKey(req);
      return isQuote(req) ? `${key}:quotes` : isRigConnect(req) ? `${key}:connect` : key;
    },
    max: (req) => {
      if (isQuote(req)) return config.RATE_QUOTES_PER_MIN;
      if (isRigConnect(req)) return config.RATE_RIG_CONNECTS_PER_MIN;
      return callerKey(req).known ? config.RATE_CALLER_PER_MIN : config.RATE_IP_PER_MIN;
    },
    errorResponseBuilder: (_req, ctx) =>
      new HttpError(429, 'rate_limited', `too many requests (${ctx.max} a minute); retry in ${ctx.after}`),
  });
}
