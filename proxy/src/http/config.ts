// The proxy's HTTP server: where it listens, what it serves, its timeouts, the reverse proxies it
// believes and its per-caller and per-address rates. Merged by config.ts into the proxy's one config.
import { isIP } from 'node:net';
import { envInt } from '@cocoon/shared';
import { z } from 'zod';

const LIST_THEM = "list your reverse proxies' addresses or CIDRs (e.g. 127.0.0.1)";
const TRUST_EVERYONE = `a client could name its own address in X-Forwarded-For; ${LIST_THEM}`;

/** The named ranges Fastify's trustProxy (proxy-addr) knows besides addresses and CIDRs. */
const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/** Why `entry` is no trusted-proxy address, range or CIDR; null when it is one. */
function trustedProxyProblem(entry: string): string | null {
  if (PROXY_RANGES.includes(entry)) return null;
  const [ip, bits, ...rest] = entry.split('/');
  const family = isIP(ip);
  if (!family || rest.length) return `"${entry}" is not an IP address, a CIDR or ${PROXY_RANGES.join('/')}`;
  if (bits === undefined) return null;
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return `"${entry}": the prefix must be 1-${max}`;
  if (bits === '0') return `"${entry}" is every address: ${TRUST_EVERYONE}`;
  return null;
}

/**
 * TRUST_PROXY: the reverse proxies whose X-Forwarded-For is believed (Fastify's trustProxy). Off (unset,
 * `false`): the connection's address is the client's. A comma-separated list of addresses, CIDRs or
 * loopback/linklocal/uniquelocal: a connection from one of them is counted by the address it forwarded
 * (the nearest untrusted one in X-Forwarded-For). `true`, a /0 and a hop count are refused: each would
 * believe a client that names its own address.
 */
export const trustProxySchema = z
  .string()
  .trim()
  .transform((s, ctx): false | string[] | undefined => {
    if (s === '') return undefined;
    if (['false', 'off', 'no', '0'].includes(s.toLowerCase())) return false;
    if (['true', 'yes', 'on'].includes(s.toLowerCase())) {
      ctx.addIssue({ code: 'custom', message: `"${s}" would trust every sender: ${TRUST_EVERYONE}` });
      return z.NEVER;
    }
    if (/^\d+$/.test(s)) {
      // Fastify trusts no hop count (it can't tell a reverse proxy from a client that sent enough hops).
      ctx.addIssue({ code: 'custom', message: `a hop count is not supported: ${LIST_THEM}` });
      return z.NEVER;
    }
    const entries = s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    if (entries.length === 0) return undefined;
    for (const e of entries) {
      const problem = trustedProxyProblem(e);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }
    return entries;
  });

export const httpEnv = z.object({
  PORT: envInt(8080, { min: 0, max: 65535 }),
  HOST: z.string().default('127.0.0.1'),
  /** Serve the built Mini App from this folder when it exists. */
  STATIC_DIR: z.string().default('./dist'),
  /** The URL people reach this proxy (and the Mini App it serves) at; the TON Connect manifest names it. */
  PUBLIC_URL: z.string().url().optional(),
  /**
   * HTTP timeouts: the whole request (headers and body) must arrive within HTTP_REQUEST_TIMEOUT_MS and its
   * headers within HTTP_HEADERS_TIMEOUT_MS (a body dripped slowly is cut there); an idle keep-alive connection
   * closes after HTTP_KEEP_ALIVE_TIMEOUT_MS; any socket silent for HTTP_IDLE_TIMEOUT_MS closes (job event
   * streams send a keep-alive every 15 s).
   */
  HTTP_REQUEST_TIMEOUT_MS: envInt(30_000, { min: 100, max: 600_000 }),
  HTTP_HEADERS_TIMEOUT_MS: envInt(10_000, { min: 100, max: 600_000 }),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: envInt(72_000, { min: 100, max: 600_000 }),
  HTTP_IDLE_TIMEOUT_MS: envInt(120_000, { min: 20_000, max: 3_600_000 }),
  /**
   * The reverse proxies (nginx, Caddy) in front of this one (trustProxySchema): requests through them are
   * counted by the client address they forward in X-Forwarded-For, for every per-IP bound. Unset: off.
   */
  TRUST_PROXY: trustProxySchema.optional(),
  /**
   * Requests a minute, per proxy process: per signed-in user (also when the bot acts for them, and one bucket
   * across all of their API keys), per IP address for everyone else, quotes per user, and rig connections per
   * token.
   */
  RATE_CALLER_PER_MIN: envInt(600),
  RATE_IP_PER_MIN: envInt(1200),
  RATE_QUOTES_PER_MIN: envInt(120),
  RATE_RIG_CONNECTS_PER_MIN: envInt(30),
  /**
   * Refused worker upgrades a minute per IP address (bad tokens, refused hellos; an upgrade counts until its
   * token is accepted): over it, HTTP 429 and no socket before the token is looked up, for every token from
   * that address (random tokens are each their own bucket in RATE_RIG_CONNECTS_PER_MIN, an IP is not).
   */
  RATE_WORKER_UPGRADES_PER_IP_PER_MIN: envInt(300),
  /**
   * Failed authentications a minute per IP address (bad initData, API key, service or admin key): past it,
   * requests from that IP with an API key or the admin key get 429 before any lookup, until the minute is
   * over. initData and the service key cost no lookup (an HMAC, a constant-time compare): never refused so.
   */
  RATE_AUTH_FAILURES_PER_IP_PER_MIN: envInt(30),
});
