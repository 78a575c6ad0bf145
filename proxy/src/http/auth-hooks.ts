// Who may call which route group. Each group is a Fastify plugin whose onRequest hook authenticates the
// caller before the body is read, refuses callers of the wrong kind, and sets `request.caller`; handlers
// never authenticate by themselves.
//
//   requireUser     the Mini App (initData), a developer's API key, or the bot acting for the user who sent
//                   the command (service key): quote, submit, follow jobs, read the balance.
//   requireAccount  the Mini App or an API key: read the account (ledger, jobs, keys, withdrawals).
//   requireOwner    the Mini App alone: whatever moves money or makes credentials (wallet, withdrawals,
//                   API keys, rigs). Neither the bot's key nor an API key may.
//   requireService  the bot's service key alone, acting for no user: the sealed chat history.
//   requireAdmin    ADMIN_KEY alone (its own secret, never the service key): operator routes.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Caller } from '../auth/authenticate';
import { secretMatches } from '../auth/tokens';
import { forbidden, HttpError, unauthorized } from '../errors';
import { clientAddressKey } from './address-key';
import type { AppContext } from './context';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the route group's auth hook; routes outside an authenticated group must not read it. */
    caller: Caller;
  }
}

type Via = Caller['via'];

export interface Authority {
  name: 'user' | 'account' | 'owner';
  via: readonly Via[];
  /** Why a caller of another kind is refused. */
  refusal: string;
}

/** The bot's own routes: the service key alone, for no user (no X-Cocoon-User, no user row). */
export const requireService = { name: 'service' } as const;

export const requireUser: Authority = {
  name: 'user',
  via: ['tma', 'apiKey', 'service'],
  refusal: 'sign in with initData, an API key or the service key',
};
export const requireAccount: Authority = {
  name: 'account',
  via: ['tma', 'apiKey'],
  refusal: "the bot's service key can quote, submit and read balances only; open the Mini App",
};
export const requireOwner: Authority = {
  name: 'owner',
  via: ['tma'],
  refusal:
    'this moves money or makes credentials: do it from the Mini App (Telegram initData), not with an API key or the service key',
};

/** Registers `routes` as one group behind `authority`. */
export function routeGroup(
  app: FastifyInstance,
  ctx: AppContext,
  authority: Authority | typeof requireService,
  routes: (group: FastifyInstance) => void,
): void {
  app.register(async (group) => {
    group.addHook('onRequest', (req) => countingFailures(ctx, req, () => authorize(req)));
    const authorize = async (req: FastifyRequest) => {
      if (!('via' in authority)) {
        const given = credentialFor(req, 'service');
        if (given === null) {
          throw req.headers.authorization
            ? forbidden('this is for the bot (service key) only')
            : unauthorized('send Authorization: "Service <key>"');
        }
        if (!secretMatches(given, ctx.config.SERVICE_KEY)) throw unauthorized('service key is invalid');
        return;
      }
      const caller = await ctx.auth(req);
      if (!authority.via.includes(caller.via)) throw forbidden(authority.refusal);
      req.caller = caller;
    };
    routes(group);
  });
}

/**
 * Credentials checked without a lookup: initData by an HMAC with the bot token, the bot's service key by a
 * constant-time compare with SERVICE_KEY. The failure bound never refuses them: it exists to spare the
 * database, and refusing them would let anyone sharing an address (behind a reverse proxy without
 * TRUST_PROXY, a carrier's NAT) lock every Mini App user and the bot out with a few bad requests. A wrong one
 * still counts as a failure. The admin key stays bound: its routes are rarely used, and the bound is the only
 * brake on guessing it.
 */
const CHEAP_SCHEMES = new Set(['tma', 'service']);

/**
 * Runs an auth check counting its failures per IP address (request.ip: the client's own address behind
 * TRUST_PROXY): a request that carries credentials and fails (401) counts; once an address is over
 * RATE_AUTH_FAILURES_PER_IP_PER_MIN, its requests with lookup-backed credentials (API keys) or the admin key
 * are refused (429) before any lookup until its minute is over. Requests without credentials aren't counted:
 * they cost no lookup.
 */
async function countingFailures(ctx: AppContext, req: FastifyRequest, check: () => Promise<void>) {
  const header = req.headers.authorization;
  const tried = typeof header === 'string' && header !== '';
  const cheap = tried && CHEAP_SCHEMES.has(header.split(' ', 1)[0].toLowerCase());
  const address = clientAddressKey(req.ip);
  if (tried && !cheap && ctx.authFailures.over(address)) {
    throw new HttpError(
      429,
      'rate_limited',
      `too many failed sign-ins from this address (${ctx.config.RATE_AUTH_FAILURES_PER_IP_PER_MIN} a minute); retry in ${ctx.authFailures.retryAfterS(address)} s`,
    );
  }
  try {
    await check();
  } catch (err) {
    if (tried && err instanceof HttpError && err.status === 401) ctx.authFailures.hit(address);
    throw err;
  }
}

/** The credential after `scheme` in the Authorization header, or null when another scheme is used. */
export function credentialFor(req: FastifyRequest, scheme: string): string | null {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return null;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space).toLowerCase() !== scheme.toLowerCase()) return null;
  return header.slice(space + 1).trim();
}

/** Registers `routes` behind ADMIN_KEY (`Authorization: Admin <key>`); without ADMIN_KEY they answer 503. */
export function adminGroup(app: FastifyInstance, ctx: AppContext, routes: (group: FastifyInstance) => void) {
  app.register(async (group) => {
    group.addHook('onRequest', (req) =>
      countingFailures(ctx, req, async () => {
        if (!ctx.config.ADMIN_KEY) {
          throw new HttpError(503, 'admin_disabled', 'the admin routes are off: set ADMIN_KEY on the proxy');
        }
        const given = credentialFor(req, 'admin');
        if (given === null) throw unauthorized('send Authorization: "Admin <ADMIN_KEY>"');
        if (!secretMatches(given, ctx.config.ADMIN_KEY)) throw unauthorized('the admin key is invalid');
      }),
    );
    routes(group);
  });
}
