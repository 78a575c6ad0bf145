// The proxy's configuration, parsed once from the environment. A bad value stops start-up with its name.
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const nano = z.string().regex(/^\d+$/, 'must be a whole number of nanoTON').transform(BigInt);

export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().url().optional(),
  /** Local mode: dev-only routes (signed test initData, sandbox wallet, faucet) and defaults for one laptop. */
  COCOON_LOCAL: bool.default(true),
  /** The bot token initData is signed with. In local mode a fixed dev token is used when unset. */
  BOT_TOKEN: z.string().min(10).optional(),
  /** The key the bot uses to act for Telegram users. In local mode a dev key is used when unset. */
  SERVICE_KEY: z.string().min(16).optional(),
  INIT_DATA_MAX_AGE_S: z.coerce.number().int().positive().default(86_400),
  FEE_BPS: z.coerce.number().int().min(0).max(10_000).default(1000),
  TRIAL_CREDIT_NANO: nano.default(500_000_000n),
  DEFAULT_ASK_NANO_PER_1K: nano.default(1_000_000n),
  MAX_ENVELOPE_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  QUOTE_TTL_MS: z.coerce.number().int().positive().default(60_000),
  LEASE_MS: z.coerce.number().int().positive().default(30_000),
  HEARTBEAT_MS: z.coerce.number().int().positive().default(5_000),
  JOB_TIMEOUT_MS: z.coerce.number().int().positive().default(300_000),
  TON_NETWORK: z.enum(['sandbox', 'testnet', 'mainnet']).default('sandbox'),
  TONCENTER_URL: z.string().url().optional(),
  TONCENTER_API_KEY: z.string().optional(),
  SERVICE_WALLET_MNEMONIC: z.string().optional(),
  MIN_WITHDRAWAL_NANO: nano.default(100_000_000n),
  WITHDRAWAL_FEE_NANO: nano.default(10_000_000n),
  TON_PROOF_DOMAINS: z.string().default('localhost,127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Serve the built Mini App from this folder when it exists. */
  STATIC_DIR: z.string().default('./dist'),
  /** The URL people reach this proxy (and the Mini App it serves) at; the TON Connect manifest names it. */
  PUBLIC_URL: z.string().url().optional(),
});

export type Config = z.infer<typeof configSchema>;

export const DEV_BOT_TOKEN = '1000000001:cocoon-local-dev-bot-token';
export const DEV_SERVICE_KEY = 'cocoon-local-dev-service-key';

/** Parses the environment; throws an Error naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid proxy configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  if (!c.COCOON_LOCAL && (!c.BOT_TOKEN || !c.SERVICE_KEY)) {
    throw new Error(
      'invalid proxy configuration:\n  BOT_TOKEN and SERVICE_KEY are required when COCOON_LOCAL=false',
    );
  }
  return { ...c, BOT_TOKEN: c.BOT_TOKEN ?? DEV_BOT_TOKEN, SERVICE_KEY: c.SERVICE_KEY ?? DEV_SERVICE_KEY };
}
