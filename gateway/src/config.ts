// The gateway's command line and environment, parsed once with zod (the shared flag parser). A bad value stops
// start-up naming it. COCOON_PROXY still works for one release, with a warning.
import { logFormatSchema, logLevelSchema, trustTier } from '@cocoon/shared';
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
  })
  .refine((c) => c.minTrust === 'open' || c.attestationPolicyKey !== undefined, {
    path: ['minTrust'],
    message:
      "tdx needs the operator's attestation policy key (--attestation-policy-key or ATTESTATION_POLICY_KEY)",
  });
export type ClientConfig = z.output<typeof clientConfig>;

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
): { help: true } | { help: false; config: ClientConfig } {
  const parsed = parseFlags({ argv, env, flags: FLAGS, schema: clientConfig, warn });
  if (parsed.kind === 'help') return { help: true };
  if (parsed.kind === 'error')
    throw new ConfigError(`invalid arguments:\n  ${parsed.lines.join('\n  ')}\n\n${USAGE}`);
  return { help: false, config: parsed.config };
}
