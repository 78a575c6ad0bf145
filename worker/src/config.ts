// The worker's settings from command-line flags and environment variables, validated once with zod.
// Flags win over env (the shared flag parser). A bad value gives one precise message per field; the CLI prints
// it and exits 2. COCOON_PROXY and COCOON_LOG_LEVEL still work for one release, with a warning.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { logFormatSchema, logLevelSchema } from '@cocoon/shared';
import { type FlagsResult, parseFlags } from '@cocoon/shared/node';
import { z } from 'zod';
import { deviceChoiceSchema } from './engine/ort-session';
import { DTYPES, type Dtype, dtypeSchema } from './models/causal-lm/dtypes';
import { TEE_CHOICES } from './tee/index';

export const USAGE = `Usage: cocoon-worker --proxy URL --token RIG_TOKEN [options]
       cocoon-worker pull <owner/repo> [options]   fetch a model from the Hugging Face hub (pull --help)

  --proxy URL         the proxy's base URL, http(s):// or ws(s)://     env COCOON_PROXY_URL
  --token TOKEN       the rig token shown once when you registered it  env COCOON_RIG_TOKEN
  --token-file FILE   or read it from a file (keeps it out of ps)    env COCOON_RIG_TOKEN_FILE
  --models DIR        folder of extra ONNX model folders               env COCOON_MODELS_DIR
                      (default worker/models; installed from the tarball:
                      ~/.local/share/cocoon-worker/models)
  --device D          auto | cuda | cpu (default auto: CUDA, else CPU) env COCOON_DEVICE
  --dtype D           which ONNX file a model folder serves:           env COCOON_DTYPE
                      fp32 | fp16 | q8 | int8 | uint8 | q4 | q4f16 | bnb4,
                      for all folders that have it, and/or NAME=D per
                      model (required), e.g. q8,qwen=fp16 (default: the
                      best for the device: fp32 on CPU, fp16 on CUDA)
  --slots N           jobs run at once, 1-64 (default 1)               env COCOON_SLOTS
                      (each language model decodes them in one batch)
  --threads N         onnxruntime CPU threads per model, 1-256         env COCOON_THREADS
                      (default: onnxruntime's choice, one per core)
  --tee T             auto | tdx | none (default auto: TDX when       env COCOON_TEE
                      configfs-tsm offers it); tdx runs models on CPU
  --config-dir DIR    where the rig keys live                          env COCOON_CONFIG_DIR
                      (default ~/.config/cocoon-worker)
  --metrics-port N    serve Prometheus metrics on this port (off when  env COCOON_METRICS_PORT
                      unset; see docs/metrics.md)
  --metrics-host H    the address it binds (default 127.0.0.1)         env COCOON_METRICS_HOST
  --log-level L       fatal | error | warn | info | debug | silent     env LOG_LEVEL
  --log-format F      json (default) | pretty: one short line per event env LOG_FORMAT
  -h, --help          show this help
`;

export const DEFAULT_CONFIG_DIR = path.join(os.homedir(), '.config', 'cocoon-worker');

const proxyUrl = z
  .string({ error: 'is required (the proxy base URL, e.g. http://127.0.0.1:8080)' })
  .trim()
  .refine((s) => URL.canParse(s), 'must be a URL, e.g. http://127.0.0.1:8080')
  .refine(
    (s) => !URL.canParse(s) || ['http:', 'https:', 'ws:', 'wss:'].includes(new URL(s).protocol),
    'must start with http://, https://, ws:// or wss://',
  );

export const workerConfigSchema = z.object({
  proxy: proxyUrl,
  token: z
    .string({ error: 'is required (the rig token shown once when you registered the rig)' })
    .trim()
    .min(16, 'is too short to be a rig token')
    .max(512, 'is too long to be a rig token')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
  models: z.string().min(1).optional(),
  device: z.enum(deviceChoiceSchema.options, { error: 'must be auto, cuda or cpu' }).default('auto'),
  dtype: z
    .string()
    .trim()
    .transform((s, ctx) => {
      const r = parseDtypeSetting(s);
      if (typeof r === 'string') {
        ctx.addIssue({ code: 'custom', message: r });
        return z.NEVER;
      }
      return r;
    })
    .optional(),
  slots: z.coerce
    .number({ error: 'must be a whole number from 1 to 64' })
    .int('must be a whole number from 1 to 64')
    .min(1, 'must be at least 1')
    .max(64, 'must be at most 64')
    .default(1),
  threads: z.coerce
    .number({ error: 'must be a whole number from 1 to 256' })
    .int('must be a whole number from 1 to 256')
    .min(1, 'must be at least 1')
    .max(256, 'must be at most 256')
    .optional(),
  tee: z.enum(TEE_CHOICES, { error: 'must be auto, tdx or none' }).default('auto'),
  /** Where configfs-tsm's report directory is; only tests point it elsewhere (a stand-in directory). */
  tsmDir: z.string().min(1).optional(),
  configDir: z.string().min(1).default(DEFAULT_CONFIG_DIR),
  metricsPort: z.coerce
    .number({ error: 'must be a port number from 1 to 65535' })
    .int('must be a port number from 1 to 65535')
    .min(1, 'must be a port number from 1 to 65535')
    .max(65535, 'must be a port number from 1 to 65535')
    .optional(),
  metricsHost: z.string().trim().min(1, 'must be an address, e.g. 127.0.0.1').default('127.0.0.1'),
  logLevel: logLevelSchema.default('info'),
  logFormat: logFormatSchema.default('json'),
});
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

const FLAGS = {
  proxy: { flag: 'proxy', env: 'COCOON_PROXY_URL', formerEnv: 'COCOON_PROXY' },
  token: { flag: 'token', env: 'COCOON_RIG_TOKEN' },
  models: { flag: 'models', env: 'COCOON_MODELS_DIR' },
  device: { flag: 'device', env: 'COCOON_DEVICE' },
  dtype: { flag: 'dtype', env: 'COCOON_DTYPE' },
  slots: { flag: 'slots', env: 'COCOON_SLOTS' },
  threads: { flag: 'threads', env: 'COCOON_THREADS' },
  tee: { flag: 'tee', env: 'COCOON_TEE' },
  tsmDir: { flag: 'tsm-dir', env: 'COCOON_TSM_DIR' },
  configDir: { flag: 'config-dir', env: 'COCOON_CONFIG_DIR' },
  metricsPort: { flag: 'metrics-port', env: 'COCOON_METRICS_PORT' },
  metricsHost: { flag: 'metrics-host', env: 'COCOON_METRICS_HOST' },
  logLevel: { flag: 'log-level', env: 'LOG_LEVEL', formerEnv: 'COCOON_LOG_LEVEL' },
  logFormat: { flag: 'log-format', env: 'LOG_FORMAT' },
} as const;

export type ParseResult = FlagsResult<WorkerConfig>;

/**
 * Parses argv (without node and the script) and env into a config, or a message saying what to fix.
 * `warn` hears of old variable names still in use.
 */
export function parseWorkerConfig(
  argv: string[],
  env: NodeJS.ProcessEnv,
  warn?: (message: string) => void,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): ParseResult {
  const fromFile = tokenFromFile(argv, env, readFile);
  if (fromFile.kind === 'error') return fromFile;
  return parseFlags({
    argv: fromFile.argv,
    env: fromFile.env,
    flags: FLAGS,
    schema: workerConfigSchema,
    warn,
  });
}

/**
 * `--token-file FILE` (or COCOON_RIG_TOKEN_FILE): the rig token read from a file, as systemd's credentials
 * or a secrets mount give it, so it is neither on the command line nor in the environment of every child.
 * A token given directly wins; the file is read only when none is.
 */
function tokenFromFile(
  argv: string[],
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string,
):
  | { kind: 'ok'; argv: string[]; env: NodeJS.ProcessEnv }
  | { kind: 'error'; message: string; lines: string[] } {
  const rest: string[] = [];
  let file = env.COCOON_RIG_TOKEN_FILE || undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--token-file') file = argv[++i];
    else if (a.startsWith('--token-file=')) file = a.slice('--token-file='.length);
    else rest.push(a);
  }
  const given = env.COCOON_RIG_TOKEN || rest.some((a) => a === '--token' || a.startsWith('--token='));
  if (!file || given) return { kind: 'ok', argv: rest, env };
  try {
    return { kind: 'ok', argv: rest, env: { ...env, COCOON_RIG_TOKEN: readFile(file).trim() } };
  } catch (err) {
    const line = `--token-file (or COCOON_RIG_TOKEN_FILE): can't read ${file}: ${(err as Error).message}`;
    return { kind: 'error', message: line, lines: [line] };
  }
}

/**
 * `--dtype` as `D` (every folder that has that file), `NAME=D` (that model, required), or a comma list of
 * both. Returns the settings, or what is wrong.
 */
export function parseDtypeSetting(s: string): { all?: Dtype; models?: Record<string, Dtype> } | string {
  const out: { all?: Dtype; models?: Record<string, Dtype> } = {};
  for (const part of s.split(',').map((p) => p.trim())) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? undefined : part.slice(0, eq).trim();
    const d = (eq < 0 ? part : part.slice(eq + 1)).trim();
    if (!dtypeSchema.safeParse(d).success) return `has unknown dtype "${d}": use one of ${DTYPES.join(', ')}`;
    if (name === undefined) {
      if (out.all) return 'names more than one dtype for all models';
      out.all = d as Dtype;
    } else {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) return `has a bad model name "${name}"`;
      out.models = { ...out.models, [name]: d as Dtype };
    }
  }
  return out;
}

/** The worker channel URL for a proxy base URL: http→ws, https→wss, path /v1/worker. */
export function workerChannelUrl(proxy: string): string {
  const u = new URL(proxy);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  if (u.protocol === 'https:') u.protocol = 'wss:';
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/v1/worker`;
  u.search = '';
  u.hash = '';
  return u.toString();
}
