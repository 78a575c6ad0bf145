// The proxy's configuration, parsed once from the environment. A bad value stops start-up with its name.

import { isIP } from 'node:net';
import {
  configError,
  DEV_ADMIN_KEY,
  DEV_BOT_TOKEN,
  DEV_SERVICE_KEY,
  type EnvRecord,
  envBool,
  httpsProblems,
  logFormatSchema,
  logLevelSchema,
  parseEnv,
  resolveLocalMode,
  sharedSecretProblems,
} from '@cocoon/shared';
import { z } from 'zod';

const nano = z.string().regex(/^\d+$/, 'must be a whole number of nanoTON').transform(BigInt);

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

export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().url().optional(),
  NODE_ENV: z.string().optional(),
  /**
   * Local mode: dev-only routes (signed test initData) and the public dev keys. Unset: on only where it is
   * harmless (the dev bot token, the sandbox chain, not production); `true` anywhere else refuses to start.
   */
  COCOON_LOCAL: envBool.optional(),
  /** The bot token initData is signed with. Unset: the dev token (local mode only). */
  BOT_TOKEN: z.string().min(10).optional(),
  /** The key the bot uses to act for Telegram users (quote, submit, balance, chat history). Its own secret. */
  SERVICE_KEY: z.string().min(16).optional(),
  /** The key of the admin routes (/v1/admin/*). Its own secret; without it outside local mode they are off. */
  ADMIN_KEY: z.string().min(16).optional(),
  /**
   * The model catalogue, a JSON file the operator keeps (proxy/src/rigs/catalogue.ts): each model name's
   * digest, kinds, context and grade. Read at start. Unset: an empty catalogue, so outside local mode no
   * model is served; in local mode uncatalogued models are accepted.
   */
  MODEL_CATALOGUE: z.string().min(1).optional(),
  INIT_DATA_MAX_AGE_S: z.coerce.number().int().positive().default(86_400),
  FEE_BPS: z.coerce.number().int().min(0).max(10_000).default(1000),
  TRIAL_CREDIT_NANO: nano.default(500_000_000n),
  DEFAULT_ASK_NANO_PER_1K: nano.default(1_000_000n),
  MAX_ENVELOPE_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  QUOTE_TTL_MS: z.coerce.number().int().positive().default(60_000),
  LEASE_MS: z.coerce.number().int().positive().default(30_000),
  HEARTBEAT_MS: z.coerce.number().int().positive().default(5_000),
  /**
   * How long a job may wait for a rig (from its submit, or from the failover that put it back in line)
   * before it fails. It never ends a running job: a rig producing it is bounded by the deadlines below
   * instead, so a slow rig that keeps producing is never cut by a total time (jobs/progress.ts).
   */
  JOB_TIMEOUT_MS: z.coerce.number().int().positive().default(300_000),
  /**
   * The queue (jobs/queue.ts): a job whose candidate rigs are all busy waits for a free slot this long at
   * most (a client may ask for less with `maxWaitMs`; JOB_TIMEOUT_MS bounds it too), then fails saying so.
   */
  QUEUE_WAIT_MS: z.coerce.number().int().positive().default(120_000),
  /** Jobs waiting for a rig per model, at most: past it a submit is refused (503 `queue_full`). */
  MAX_QUEUE_PER_MODEL: z.coerce.number().int().positive().default(256),
  /** Jobs one user may have waiting for a rig at once: past it a submit is refused (429 `queue_cap`). */
  MAX_QUEUED_PER_USER: z.coerce.number().int().positive().default(8),
  /** Finished jobs' sealed envelopes and results are dropped this long after the job ended (24 h). */
  SEALED_RETENTION_MS: z.coerce.number().int().positive().default(86_400_000),
  /**
   * Deadlines that measure progress (jobs/progress.ts), from the tokens done each heartbeat reports. A rig
   * that misses one loses the job to the next candidate and counts a failure (as a lapsed lease does).
   * First token: FIRST_TOKEN_BASE_MS + input tokens × FIRST_TOKEN_MS_PER_INPUT_TOKEN from the claim (a rig is
   * given a job only into a free slot, so it starts at once).
   */
  FIRST_TOKEN_BASE_MS: z.coerce.number().int().positive().default(30_000),
  FIRST_TOKEN_MS_PER_INPUT_TOKEN: z.coerce.number().int().min(0).default(25),
  /**
   * Between tokens: each report that grows the job's tokens done moves its deadline to TOKEN_GAP_MS later.
   * Progress arrives with heartbeats, so keep it well above HEARTBEAT_MS.
   */
  TOKEN_GAP_MS: z.coerce.number().int().positive().default(20_000),
  /**
   * The run time cap, against a rig that reports progress it never delivers: the first-token allowance +
   * max tokens × RUN_CAP_MS_PER_TOKEN (the slowest rate the market accepts; 1,000: 1 token/s) from the claim.
   */
  RUN_CAP_MS_PER_TOKEN: z.coerce.number().int().positive().default(1_000),
  /** A rig that loses this many jobs in a row (fails, stalls, disconnects) gets no quotes for RIG_COOLDOWN_MS. */
  RIG_COOLDOWN_AFTER_FAILURES: z.coerce.number().int().positive().default(3),
  RIG_COOLDOWN_MS: z.coerce.number().int().min(0).default(600_000),
  /** Share of finished jobs past probation that another candidate audits (audits/service.ts). */
  AUDIT_RATE: z.coerce.number().min(0).max(1).default(0.05),
  /** A rig's first jobs are all audited (probation). */
  AUDIT_PROBATION_JOBS: z.coerce.number().int().min(0).default(20),
  /** An audit without a verdict by then is dropped (the job counts as unaudited). */
  AUDIT_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
  /** Taken from the owner of a rig proven wrong, on top of the refunds, into the platform's fee account. */
  AUDIT_PENALTY_NANO: nano.default(100_000_000n),
  /**
   * The bond a rig needs past probation (bonds/bonds.ts): its unaudited work is capped by it, and a rig
   * proven wrong pays its victims back from it first. 0 turns bonds off.
   */
  BOND_NANO: nano.default(1_000_000_000n),
  /** How long a bond stays after its owner asks for it back (with no open audit at the end). */
  BOND_COOLING_OFF_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(7 * 24 * 3600 * 1000),
  /**
   * Users (ids, comma-separated) whose rigs are the operator's own: exempt from probation and bonds, and
   * shown as such. `npm start` names its local owner.
   */
  OPERATOR_OWNER_IDS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^\d{1,20}$/, 'must be user ids (digits), comma-separated')).max(100)),
  /** The highest ask a rig may post, per 1,000 tokens (1 TON: a thousand times the default ask). */
  MAX_ASK_NANO_PER_1K: nano.default(1_000_000_000n),
  /**
   * A quote's candidates ask at most this multiple of the cheapest eligible ask (or of the default ask, if
   * the cheapest is below it), and the hold is for the highest of them: an outlier ask can't inflate it.
   */
  HOLD_ASK_MULTIPLE: z.coerce.number().int().min(1).max(100).default(3),
  /**
   * Speed on the market (market/speed.ts): a rig's time to first token and decode speed per model are the
   * medians over its last SPEED_SAMPLE_JOBS payers (each payer one vote: the median of its own last
   * SPEED_SAMPLE_JOBS settled jobs) of that model within SPEED_WINDOW_MS, counting only jobs paid by other
   * users than the rig's owner (all trial-credit payers together one vote).
   */
  SPEED_SAMPLE_JOBS: z.coerce.number().int().min(1).max(500).default(20),
  SPEED_WINDOW_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(7 * 86_400_000),
  /**
   * Requests a minute, per proxy process: per signed-in user (also when the bot acts for them, and one bucket
   * across all of their API keys), per IP address for everyone else, quotes per user, and rig connections per
   * token.
   */
  RATE_CALLER_PER_MIN: z.coerce.number().int().positive().default(600),
  RATE_IP_PER_MIN: z.coerce.number().int().positive().default(1200),
  RATE_QUOTES_PER_MIN: z.coerce.number().int().positive().default(120),
  RATE_RIG_CONNECTS_PER_MIN: z.coerce.number().int().positive().default(30),
  /**
   * Refused worker upgrades a minute per IP address (bad tokens, refused hellos; an upgrade counts until its
   * token is accepted): over it, HTTP 429 and no socket before the token is looked up, for every token from
   * that address (random tokens are each their own bucket in RATE_RIG_CONNECTS_PER_MIN, an IP is not).
   */
  RATE_WORKER_UPGRADES_PER_IP_PER_MIN: z.coerce.number().int().positive().default(300),
  /**
   * Failed authentications a minute per IP address (bad initData, API key, service or admin key): past it,
   * requests from that IP with an API key or the admin key get 429 before any lookup, until the minute is
   * over. initData and the service key cost no lookup (an HMAC, a constant-time compare): never refused so.
   */
  RATE_AUTH_FAILURES_PER_IP_PER_MIN: z.coerce.number().int().positive().default(30),
  /**
   * The reverse proxies (nginx, Caddy) in front of this one (trustProxySchema): requests through them are
   * counted by the client address they forward in X-Forwarded-For, for every per-IP bound. Unset: off.
   */
  TRUST_PROXY: trustProxySchema.optional(),
  /** A worker socket must say a valid hello within this long of its upgrade (frames before it don't extend it). */
  /**
   * The oldest worker protocol a rig may say hello with. Protocol 1 results carry no token ids, so auditors
   * can't check their completion count (an overcount is 'unable', never 'fail'): raise to 2 once rigs run a
   * worker that speaks it, and a rig can no longer dodge the id checks by downgrading.
   */
  MIN_WORKER_PROTOCOL: z.coerce.number().int().min(1).max(2).default(1),
  HELLO_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  /**
   * HTTP timeouts: the whole request (headers and body) must arrive within HTTP_REQUEST_TIMEOUT_MS and its
   * headers within HTTP_HEADERS_TIMEOUT_MS (a body dripped slowly is cut there); an idle keep-alive connection
   * closes after HTTP_KEEP_ALIVE_TIMEOUT_MS; any socket silent for HTTP_IDLE_TIMEOUT_MS closes (job event
   * streams send a keep-alive every 15 s).
   */
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(72_000),
  HTTP_IDLE_TIMEOUT_MS: z.coerce.number().int().min(20_000).max(3_600_000).default(120_000),
  /** What one rig's socket may send: a sustained rate, a burst, and bytes waiting to be handled. */
  RIG_BYTES_PER_S: z.coerce
    .number()
    .int()
    .min(1024)
    .default(4 * 1024 * 1024),
  RIG_BURST_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(16 * 1024 * 1024),
  RIG_MAX_QUEUED_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(16 * 1024 * 1024),
  TON_NETWORK: z.enum(['sandbox', 'testnet', 'mainnet']).default('sandbox'),
  /** The TON HTTP API v2 endpoint of TON_NETWORK (https://testnet.toncenter.com/api/v2 on testnet). */
  TONCENTER_URL: z.string().url().optional(),
  TONCENTER_API_KEY: z.string().optional(),
  SERVICE_WALLET_MNEMONIC: z.string().optional(),
  MIN_WITHDRAWAL_NANO: nano.default(100_000_000n),
  WITHDRAWAL_FEE_NANO: nano.default(10_000_000n),
  /** Withdrawals above this need a fresh ton_proof from the bound wallet (reconnect it). */
  WITHDRAWAL_PROOF_ABOVE_NANO: nano.default(10_000_000_000n),
  /** A wallet change without a proof from the old wallet takes effect after this many seconds. */
  WALLET_CHANGE_DELAY_S: z.coerce
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .default(86_400),
  /** Hosts a wallet's ton_proof may name (the Mini App's), besides PUBLIC_URL's; Vite's dev server by default. */
  TON_PROOF_DOMAINS: z.string().default('localhost,127.0.0.1,localhost:5173,127.0.0.1:5173'),
  LOG_LEVEL: logLevelSchema.default('info'),
  /** json (pino lines, the default) or pretty (one short line per event; `npm start` passes it). */
  LOG_FORMAT: logFormatSchema.default('json'),
  /** Serve the built Mini App from this folder when it exists. */
  STATIC_DIR: z.string().default('./dist'),
  /** The URL people reach this proxy (and the Mini App it serves) at; the TON Connect manifest names it. */
  PUBLIC_URL: z.string().url().optional(),
  /**
   * The confidential tier (proxy/src/attestation): the operator's signed attestation policy (a file made by
   * `npm run policy -- sign`), the operator's public key it must be signed with, the PCCS that serves Intel's
   * collateral, and how often a TDX rig is asked for a fresh quote. No policy or no PCCS: every rig is in the
   * open tier, and says why on its Rigs page.
   */
  ATTESTATION_POLICY_FILE: z.string().min(1).optional(),
  ATTESTATION_POLICY_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be an Ed25519 public key in base64 (32 bytes)')
    .optional(),
  PCCS_URL: z.string().url().optional(),
  ATTESTATION_REFRESH_MS: z.coerce.number().int().min(1000).default(3_600_000),
  /**
   * On-chain accounts (proxy/src/onchain-accounts, docs/on-chain-accounts.md): a wallet holder's money in a contract of
   * their own, spent only by vouchers their spend key signs. On by default on the sandbox chain. The vault is
   * deployed from the service wallet with ONCHAIN_STAKE_NANO; OPERATOR_KEY (base64 of a 32-byte Ed25519
   * seed, its own secret) signs rig owners' earnings vouchers; the sandbox makes one under DATA_DIR.
   */
  ONCHAIN_ACCOUNTS: envBool.optional(),
  OPERATOR_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be a 32-byte Ed25519 seed in base64')
    .optional(),
  ONCHAIN_CLOSE_DELAY_S: z.coerce
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .default(86_400),
  ONCHAIN_CLAIM_THRESHOLD_NANO: nano.default(1_000_000_000n),
  ONCHAIN_STAKE_NANO: nano.default(10_000_000_000n),
  /** How often the ledger's hash is committed to the vault (when it changed): a rolled-back database is caught. */
  ONCHAIN_COMMIT_MS: z.coerce.number().int().min(60_000).default(3_600_000),
  /** Telegram's Bot API root (the bot's variable of the same name): where `check` asks getMe for BOT_TOKEN. */
  TELEGRAM_API_ROOT: z.string().url().optional(),
  /** Retention of the bot's sealed chat history: messages kept per chat, their age, and the prune interval. */
  CHAT_HISTORY_MAX_MESSAGES: z.coerce.number().int().min(1).max(100_000).default(1000),
  CHAT_HISTORY_MAX_AGE_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 365)
    .default(48),
  CHAT_HISTORY_PRUNE_MS: z.coerce.number().int().min(1000).default(600_000),
});

export type Config = Omit<
  z.infer<typeof configSchema>,
  'COCOON_LOCAL' | 'BOT_TOKEN' | 'SERVICE_KEY' | 'ADMIN_KEY'
> & {
  COCOON_LOCAL: boolean;
  BOT_TOKEN: string;
  SERVICE_KEY: string;
  /** Unset: the admin routes are off. */
  ADMIN_KEY: string | undefined;
};

export { DEV_ADMIN_KEY, DEV_BOT_TOKEN, DEV_SERVICE_KEY };

/** Parses the environment; throws an Error naming every bad variable. */
export function loadConfig(env: EnvRecord = process.env): Config {
  const c = parseEnv(configSchema, env, { service: 'proxy' });
  const { local, problems } = resolveLocalMode(c.COCOON_LOCAL, {
    botToken: c.BOT_TOKEN,
    tonNetwork: c.TON_NETWORK,
    nodeEnv: c.NODE_ENV,
  });
  if (!local) {
    // Outside local mode every secret is its own variable: none defaulted, none public, none shared.
    if (!c.BOT_TOKEN) problems.push('BOT_TOKEN: required outside local mode');
    if (c.BOT_TOKEN === DEV_BOT_TOKEN)
      problems.push(
        'BOT_TOKEN: the public dev token only works in local mode; set the bot token from @BotFather',
      );
    if (!c.SERVICE_KEY) problems.push('SERVICE_KEY: required outside local mode');
    if (c.SERVICE_KEY === DEV_SERVICE_KEY)
      problems.push('SERVICE_KEY: the public dev key only works in local mode');
    if (c.ADMIN_KEY === DEV_ADMIN_KEY)
      problems.push('ADMIN_KEY: the public dev key only works in local mode');
  }
  problems.push(...endpointNetworkProblems(c.TON_NETWORK, c.TONCENTER_URL));
  problems.push(...httpsProblems('PUBLIC_URL', c.PUBLIC_URL, c.NODE_ENV));
  problems.push(...httpsProblems('PCCS_URL', c.PCCS_URL, c.NODE_ENV));
  if (c.ONCHAIN_ACCOUNTS && c.TON_NETWORK !== 'sandbox' && !c.OPERATOR_KEY)
    problems.push(
      "OPERATOR_KEY: required with ONCHAIN_ACCOUNTS off the sandbox chain (it signs rig owners' earnings vouchers)",
    );
  problems.push(
    ...sharedSecretProblems([
      ['BOT_TOKEN', c.BOT_TOKEN],
      ['SERVICE_KEY', c.SERVICE_KEY],
      ['ADMIN_KEY', c.ADMIN_KEY],
      ['OPERATOR_KEY', c.OPERATOR_KEY],
    ]),
  );
  if (c.HTTP_HEADERS_TIMEOUT_MS > c.HTTP_REQUEST_TIMEOUT_MS)
    problems.push('HTTP_HEADERS_TIMEOUT_MS: must not be over HTTP_REQUEST_TIMEOUT_MS');
  if (problems.length) throw configError('proxy', problems);
  return {
    ...c,
    COCOON_LOCAL: local,
    BOT_TOKEN: c.BOT_TOKEN ?? DEV_BOT_TOKEN,
    SERVICE_KEY: c.SERVICE_KEY ?? DEV_SERVICE_KEY,
    ADMIN_KEY: c.ADMIN_KEY ?? (local ? DEV_ADMIN_KEY : undefined),
  };
}

/**
 * A TON endpoint that names the other network: toncenter's testnet host (or any URL saying "testnet") with
 * mainnet configured, or toncenter's mainnet host with testnet. Other hosts can't be told by name; `check`
 * asks them for their zero state.
 */
export function endpointNetworkProblems(network: Config['TON_NETWORK'], url: string | undefined): string[] {
  if (!url || network === 'sandbox') return [];
  const host = new URL(url).hostname.toLowerCase();
  if (network === 'mainnet' && /testnet/i.test(url))
    return [
      'TONCENTER_URL: a testnet endpoint with TON_NETWORK=mainnet; use the mainnet one (https://toncenter.com/api/v2)',
    ];
  if (network === 'testnet' && host === 'toncenter.com')
    return [
      'TONCENTER_URL: the mainnet endpoint with TON_NETWORK=testnet; use https://testnet.toncenter.com/api/v2',
    ];
  return [];
}
