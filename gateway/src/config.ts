// The gateway's command line and environment, parsed once with zod (the shared flag parser). A bad value stops
// start-up naming it. COCOON_PROXY still works for one release, with a warning.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { envInt, fromBase64, logFormatSchema, logLevelSchema, trustTier } from '@cocoon/shared';
import { parseFlags } from '@cocoon/shared/node';
import { z } from 'zod';

export const USAGE = `Usage: cocoon-client --proxy URL --api-key KEY [--port 10000] [--host 127.0.0.1] [--log-level info]

An OpenAI-compatible gateway on this machine. Requests are sealed here to the rigs the proxy quotes;
results are opened here. Point any OpenAI SDK at http://HOST:PORT/v1.

  --proxy URL       the Cocoon proxy (env COCOON_PROXY_URL)
  --api-key KEY     an API key from the Mini App's API keys page (env COCOON_API_KEY)
  --port N          port to serve on (env COCOON_CLIENT_PORT, default 10000)
  --host ADDR       address to bind (env COCOON_CLIENT_HOST, default 127.0.0.1)
  --log-level L     fatal|error|warn|info|debug|trace|silent (env LOG_LEVEL, default info)
  --log-format F    json|pretty (env LOG_FORMAT, default json): pretty is one short line per event
  --attestation-policy-key KEY
                    the network operator's attestation policy key, base64 of its Ed25519 public key
                    (env ATTESTATION_POLICY_KEY); needed for confidential (TDX) requests, which this
                    gateway verifies itself before sealing
  --pccs-url URL    fetch Intel's collateral for TDX quotes from this PCCS rather than taking the
                    proxy's copy (env PCCS_URL; optional)
  --min-trust T     open|tdx (env GATEWAY_MIN_TRUST, default open): the trust tier of requests that
                    name no cocoon_min_trust; tdx needs --attestation-policy-key
  --spend-key-file FILE
                    jobs paid from your on-chain account: a file holding the spend key your account
                    authorized, base64 of its 32-byte Ed25519 seed (env COCOON_SPEND_KEY_FILE; or the key
                    itself in env COCOON_SPEND_KEY). The gateway then signs each job's voucher.
  --voucher-store FILE
                    where the gateway keeps the last voucher it signed (env COCOON_VOUCHER_STORE, default
                    ~/.config/cocoon-gateway/voucher.json, written 0600)
  --request-timeout-ms N
                    a request (headers and body) must arrive within this, or its connection is
                    closed (env COCOON_CLIENT_REQUEST_TIMEOUT_MS, default 30000)
  -h, --help        this text`;

/** Base64 of 32 bytes, as the proxy's ATTESTATION_POLICY_KEY. */
export const POLICY_KEY = /^[A-Za-z0-9+/]{43}=$/;

export const clientConfig = z
  .object({
    proxyUrl: z
      .string({ error: 'is required' })
      .url('must be a URL such as http://127.0.0.1:8080')
      .refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL'),
    apiKey: z.string({ error: 'is required' }).trim().min(8, 'is too short to be an API key'),
    port: z.coerce
      .number('must be a port number')
      .int('must be a whole number')
      .min(0, 'must be 0–65535')
      .max(65535, 'must be 0–65535')
      .default(10000),
    host: z.string().min(1).default('127.0.0.1'),
    logLevel: logLevelSchema.default('info'),
    logFormat: logFormatSchema.default('json'),
    /** The operator's policy key (base64 of a 32-byte Ed25519 public key): the gateway checks TDX rigs with it. */
    attestationPolicyKey: z
      .string()
      .regex(POLICY_KEY, 'must be an Ed25519 public key in base64 (32 bytes: 43 characters and one =)')
      .optional(),
    pccsUrl: z
      .string()
      .url('must be a URL such as https://pccs.example/sgx/certification/v4/')
      .refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL')
      .optional(),
    /** The trust tier of requests that name no `cocoon_min_trust`. */
    minTrust: trustTier.default('open'),
    /** A file holding the spend key's seed (base64 of 32 bytes); read by loadClientConfig. */
    spendKeyFile: z.string().min(1).optional(),
    voucherStore: z.string().min(1).optional(),
    requestTimeoutMs: envInt(30_000, { min: 100, max: 600_000 }),
  })
  .refine((c) => c.minTrust === 'open' || c.attestationPolicyKey !== undefined, {
    path: ['minTrust'],
    message:
      "tdx needs the operator's attestation policy key (--attestation-policy-key or ATTESTATION_POLICY_KEY)",
  });
export type ClientConfig = z.output<typeof clientConfig> & {
  /** For jobs paid from an on-chain account: the spend key's seed and where the last voucher is kept. */
  spendKey?: { seed: Uint8Array; storePath: string };
};

/** Base64 of a 32-byte Ed25519 seed, as the Mini App exports a spend key. */
export const SPEND_KEY = /^[A-Za-z0-9+/]{43}=$/;
const SPEND_KEY_SHAPE = "must be the spend key's seed in base64 (32 bytes: 43 characters and one =)";

export const DEFAULT_VOUCHER_STORE = path.join(os.homedir(), '.config', 'cocoon-gateway', 'voucher.json');

const FLAGS = {
  proxyUrl: { flag: 'proxy', env: 'COCOON_PROXY_URL', formerEnv: 'COCOON_PROXY' },
  apiKey: { flag: 'api-key', env: 'COCOON_API_KEY' },
  port: { flag: 'port', env: 'COCOON_CLIENT_PORT' },
  host: { flag: 'host', env: 'COCOON_CLIENT_HOST' },
  logLevel: { flag: 'log-level', env: 'LOG_LEVEL' },
  logFormat: { flag: 'log-format', env: 'LOG_FORMAT' },
  attestationPolicyKey: { flag: 'attestation-policy-key', env: 'ATTESTATION_POLICY_KEY' },
  pccsUrl: { flag: 'pccs-url', env: 'PCCS_URL' },
  minTrust: { flag: 'min-trust', env: 'GATEWAY_MIN_TRUST' },
  spendKeyFile: { flag: 'spend-key-file', env: 'COCOON_SPEND_KEY_FILE' },
  voucherStore: { flag: 'voucher-store', env: 'COCOON_VOUCHER_STORE' },
  requestTimeoutMs: { flag: 'request-timeout-ms', env: 'COCOON_CLIENT_REQUEST_TIMEOUT_MS' },
} as const;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Flags win over the environment. Returns `help: true` for -h/--help; throws ConfigError otherwise. `warn`
 * hears of old variable names still in use.
 */
export function loadClientConfig(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
  warn?: (message: string) => void,
  readFile: (file: string) => string = (f) => readFileSync(f, 'utf8'),
): { help: true } | { help: false; config: ClientConfig } {
  const fail = (lines: string[]): never => {
    throw new ConfigError(`invalid arguments:\n  ${lines.join('\n  ')}\n\n${USAGE}`);
  };
  const parsed = parseFlags({ argv, env, flags: FLAGS, schema: clientConfig, warn });
  if (parsed.kind === 'help') return { help: true };
  if (parsed.kind === 'error') return fail(parsed.lines);
  const { spendKeyFile, voucherStore, ...config } = parsed.config;

  // The spend key: from a file (better: not in the environment of every child process) or COCOON_SPEND_KEY.
  const inEnv = env.COCOON_SPEND_KEY?.trim() || undefined;
  let seedText: string | undefined;
  let label = `COCOON_SPEND_KEY: ${SPEND_KEY_SHAPE}`;
  if (spendKeyFile && inEnv)
    fail([
      '--spend-key-file (or COCOON_SPEND_KEY_FILE): give the spend key once: this file or COCOON_SPEND_KEY, not both',
    ]);
  if (spendKeyFile) {
    label = `--spend-key-file (or COCOON_SPEND_KEY_FILE): ${spendKeyFile} ${SPEND_KEY_SHAPE.replace('must be', 'must hold')}`;
    try {
      seedText = readFile(spendKeyFile).trim();
    } catch (err) {
      fail([
        `--spend-key-file (or COCOON_SPEND_KEY_FILE): can't read ${spendKeyFile}: ${(err as Error).message}`,
      ]);
    }
  } else seedText = inEnv;
  if (seedText === undefined) {
    if (voucherStore)
      fail([
        '--voucher-store (or COCOON_VOUCHER_STORE): needs a spend key (--spend-key-file or COCOON_SPEND_KEY)',
      ]);
    return { help: false, config };
  }
  if (!SPEND_KEY.test(seedText)) fail([label]);
  return {
    help: false,
    config: {
      ...config,
      spendKey: {
        seed: fromBase64(seedText),
        storePath: path.resolve(voucherStore ?? DEFAULT_VOUCHER_STORE),
      },
    },
  };
}
