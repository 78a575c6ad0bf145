// The bot's configuration, parsed once from the environment. A bad value stops start-up with its name.
import {
  configError,
  DEV_BOT_TOKEN,
  DEV_SERVICE_KEY,
  type EnvRecord,
  envBool,
  envInt,
  httpsProblems,
  logFormatSchema,
  logLevelSchema,
  MAX_TOKENS,
  parseEnv,
  publicDevSecretProblems,
  resolveLocalMode,
  sharedSecretProblems,
} from '@cocoon/shared';
import { sha256 } from '@noble/hashes/sha2.js';
import { z } from 'zod';

export { DEV_SERVICE_KEY };
/**
 * The local bot's token when no BOT_TOKEN is set: the proxy's DEV_BOT_TOKEN, so the initData the emulator
 * signs for web_app buttons is accepted by a local proxy.
 */
export const LOCAL_BOT_TOKEN = DEV_BOT_TOKEN;

export const configSchema = z.object({
  BOT_TOKEN: z.string().regex(/^\d+:[\w-]+$/, 'must look like 123456:ABC-def (from @BotFather)'),
  /** grammY's client.apiRoot: https://api.telegram.org, or the Bot API emulator's address. */
  TELEGRAM_API_ROOT: z.string().url().optional(),
  COCOON_PROXY_URL: z.string().url().default('http://127.0.0.1:8080'),
  NODE_ENV: z.string().optional(),
  /**
   * Local mode: dev defaults (the public service key, a history key derived from the dev token). Unset: on
   * only with the dev bot token outside production; `true` with a real token refuses to start.
   */
  COCOON_LOCAL: envBool.optional(),
  SERVICE_KEY: z.string().min(16).optional(),
  MINIAPP_URL: z.string().url().default('http://127.0.0.1:8080/'),
  BOT_MODE: z.enum(['polling', 'webhook']).default('polling'),
  WEBHOOK_URL: z.string().url().optional(),
  WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,256}$/, '1-256 characters: letters, digits, _ and -')
    .optional(),
  WEBHOOK_HOST: z.string().default('127.0.0.1'),
  WEBHOOK_PORT: envInt(8090, { min: 0, max: 65535 }),
  /**
   * Secret for sealing stored chat history (at least 32 characters), known to the bot alone: required with a
   * real token, never derived from anything the proxy holds. Local mode derives one from the dev token.
   */
  HISTORY_KEY: z.string().min(32).optional(),
  SUMMARIZE_MODEL: z.string().min(1).max(64).default('summarize-extractive'),
  GENERATE_MODEL: z.string().min(1).max(64).default('demo-gen'),
  SUMMARIZE_DEFAULT_MESSAGES: envInt(100, { min: 1, max: 1000 }),
  SUMMARIZE_MAX_MESSAGES: envInt(1000, { min: 1, max: 1000 }),
  SUMMARIZE_MAX_TOKENS: envInt(256, { min: 1, max: MAX_TOKENS }),
  SUMMARIZE_MAX_INPUT_CHARS: envInt(200_000, { min: 1, max: 800_000 }),
  GENERATE_MAX_TOKENS: envInt(512, { min: 1, max: MAX_TOKENS }),
  GENERATE_MAX_PROMPT_CHARS: envInt(4096, { min: 1, max: 100_000 }),
  JOB_TIMEOUT_MS: envInt(120_000, { min: 1, max: 3_600_000 }),
  /** Streamed answers are edited at most once per this many milliseconds. */
  EDIT_INTERVAL_MS: envInt(1000, { min: 1, max: 60_000 }),
  /** Token buckets for jobs: a burst, then one more every N seconds. */
  RATE_USER_BURST: envInt(5, { min: 1, max: 1000 }),
  RATE_USER_REFILL_S: envInt(10, { min: 1, max: 86_400 }),
  RATE_CHAT_BURST: envInt(20, { min: 1, max: 10_000 }),
  RATE_CHAT_REFILL_S: envInt(3, { min: 1, max: 86_400 }),
  /**
   * The confidential tier: the network operator's attestation policy key (base64 of its 32-byte Ed25519
   * public key), with which the bot checks TDX rigs itself before sealing a job to them. Unset: groups can't
   * switch /trust to tdx. PCCS_URL: fetch Intel's collateral from this PCCS rather than the proxy's copy.
   */
  ATTESTATION_POLICY_KEY: z
    .string()
    .regex(
      /^[A-Za-z0-9+/]{43}=$/,
      'must be an Ed25519 public key in base64 (32 bytes: 43 characters and one =)',
    )
    .optional(),
  PCCS_URL: z.string().url().optional(),
  /**
   * Telegram Stars: the proxy must answer a pre-checkout query within this (Telegram allows the bot 10 s in
   * all); a report of a payment Telegram took is tried this many times, waiting from STARS_REPORT_RETRY_MS,
   * doubling. PAYMENT_SUPPORT: who /paysupport and /terms name for payment problems (a @username, an email
   * address or a URL).
   */
  STARS_PRECHECKOUT_TIMEOUT_MS: envInt(5000, { min: 1, max: 9000 }),
  STARS_REPORT_ATTEMPTS: envInt(5, { min: 1, max: 20 }),
  STARS_REPORT_RETRY_MS: envInt(1000, { min: 1, max: 60_000 }),
  PAYMENT_SUPPORT: z.string().trim().min(1).max(200).optional(),
  LOG_LEVEL: logLevelSchema.default('info'),
  LOG_FORMAT: logFormatSchema.default('json'),
});

export type BotConfig = Omit<z.infer<typeof configSchema>, 'SERVICE_KEY' | 'HISTORY_KEY' | 'COCOON_LOCAL'> & {
  COCOON_LOCAL: boolean;
  SERVICE_KEY: string;
  HISTORY_KEY: string;
};

/** The dev history key: derived from the bot token, so a local bot can read what it stored before. */
export function devHistoryKey(botToken: string): string {
  const digest = sha256(new TextEncoder().encode(`cocoon-dev-history-key:${botToken}`));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Parses the environment; throws an Error naming every bad variable. */
export function loadBotConfig(env: EnvRecord = process.env): BotConfig {
  const c = parseEnv(configSchema, env, { service: 'bot' });
  const { local, problems } = resolveLocalMode(c.COCOON_LOCAL, {
    botToken: c.BOT_TOKEN,
    nodeEnv: c.NODE_ENV,
  });
  if (!local) {
    if (!c.SERVICE_KEY) problems.push("SERVICE_KEY: required outside local mode (the proxy's SERVICE_KEY)");
    problems.push(...publicDevSecretProblems(c));
    if (!c.HISTORY_KEY) problems.push('HISTORY_KEY: required outside local mode (a secret of the bot alone)');
  }
  problems.push(
    ...sharedSecretProblems([
      ['BOT_TOKEN', c.BOT_TOKEN],
      ['SERVICE_KEY', c.SERVICE_KEY],
      ['HISTORY_KEY', c.HISTORY_KEY],
    ]),
  );
  problems.push(...httpsProblems('MINIAPP_URL', c.MINIAPP_URL, c.NODE_ENV));
  problems.push(...httpsProblems('PCCS_URL', c.PCCS_URL, c.NODE_ENV));
  if (c.BOT_MODE === 'webhook' && !c.WEBHOOK_URL)
    problems.push('WEBHOOK_URL: required when BOT_MODE=webhook');
  if (c.BOT_MODE === 'webhook' && !c.WEBHOOK_SECRET)
    problems.push('WEBHOOK_SECRET: required when BOT_MODE=webhook');
  if (c.SUMMARIZE_DEFAULT_MESSAGES > c.SUMMARIZE_MAX_MESSAGES)
    problems.push('SUMMARIZE_DEFAULT_MESSAGES: must not exceed SUMMARIZE_MAX_MESSAGES');
  if (problems.length) throw configError('bot', problems);
  return {
    ...c,
    COCOON_LOCAL: local,
    SERVICE_KEY: c.SERVICE_KEY ?? DEV_SERVICE_KEY,
    HISTORY_KEY: c.HISTORY_KEY ?? devHistoryKey(c.BOT_TOKEN),
  };
}
