// The gateway's command line and environment, parsed once with zod. A bad value stops start-up naming it.
import { parseArgs } from 'node:util';
import { z } from 'zod';

export const USAGE = `Usage: cocoon-client --proxy URL --api-key KEY [--port 10000] [--host 127.0.0.1] [--log-level info]

An OpenAI-compatible gateway on this machine. Requests are sealed here to the rigs the proxy quotes;
results are opened here. Point any OpenAI SDK at http://HOST:PORT/v1.

  --proxy URL       the Cocoon proxy (env COCOON_PROXY)
  --api-key KEY     an API key from the Mini App's API keys page (env COCOON_API_KEY)
  --port N          port to serve on (env COCOON_CLIENT_PORT, default 10000)
  --host ADDR       address to bind (env COCOON_CLIENT_HOST, default 127.0.0.1)
  --log-level L     fatal|error|warn|info|debug|trace|silent (env LOG_LEVEL, default info)
  -h, --help        this text`;

export const clientConfig = z.object({
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
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type ClientConfig = z.output<typeof clientConfig>;

const NAMES: Record<string, string> = {
  proxyUrl: '--proxy (or COCOON_PROXY)',
  apiKey: '--api-key (or COCOON_API_KEY)',
  port: '--port (or COCOON_CLIENT_PORT)',
  host: '--host (or COCOON_CLIENT_HOST)',
  logLevel: '--log-level (or LOG_LEVEL)',
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Flags win over the environment. Returns `help: true` for -h/--help; throws ConfigError otherwise. */
export function loadClientConfig(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): { help: true } | { help: false; config: ClientConfig } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        proxy: { type: 'string' },
        'api-key': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new ConfigError(`invalid arguments: ${(err as Error).message}\n\n${USAGE}`);
  }
  if (values.help) return { help: true };
  const pick = (flag: string, envName: string) => {
    const v = values[flag] ?? env[envName];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const parsed = clientConfig.safeParse({
    proxyUrl: pick('proxy', 'COCOON_PROXY'),
    apiKey: pick('api-key', 'COCOON_API_KEY'),
    port: pick('port', 'COCOON_CLIENT_PORT'),
    host: pick('host', 'COCOON_CLIENT_HOST'),
    logLevel: pick('log-level', 'LOG_LEVEL'),
  });
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `  ${NAMES[String(i.path[0])] ?? i.path.join('.')}: ${i.message}`,
    );
    throw new ConfigError(`invalid arguments:\n${lines.join('\n')}\n\n${USAGE}`);
  }
  return { help: false, config: parsed.data };
}
