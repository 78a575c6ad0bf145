// Env parsing, the same in every process: a zod schema over the environment (empty strings count as unset),
// renamed variables still read for one release with a warning, and one Error that names every bad variable.
// Pure: no I/O at import time, safe in the browser bundle.
import { z } from 'zod';

export type EnvRecord = Record<string, string | undefined>;

/** 'true' | 'false' | '1' | '0' | 'yes' | 'no', as a boolean. */
export const envBool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** An amount in nanoTON, as a string of digits, as a bigint. */
export const envNano = z.string().regex(/^\d+$/, 'must be a whole number of nanoTON').transform(BigInt);

/**
 * A whole number from the environment, `def` when unset: above 0 unless `min` says otherwise, at most `max`
 * where given. One chain for every count, duration and port, so their bounds read at a glance.
 */
export function envInt(def: number, bounds: { min?: number; max?: number } = {}) {
  const int = z.coerce.number().int();
  const low = bounds.min === undefined ? int.positive() : int.min(bounds.min);
  return (bounds.max === undefined ? low : low.max(bounds.max)).default(def);
}

/** A comma-separated list (spaces around items and empty items dropped), `def` when unset. */
export function envList(def: string) {
  return z
    .string()
    .default(def)
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    );
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const logLevelSchema = z.enum(LOG_LEVELS, {
  error: `must be ${LOG_LEVELS.slice(0, -1).join(', ')} or ${LOG_LEVELS.at(-1)}`,
});
export type LogLevel = z.infer<typeof logLevelSchema>;

/**
 * How a service writes its logs: `json` (one pino line per event, the default for services run on their own)
 * or `pretty` (one short line for people, in local time; `npm start` picks it and passes it down).
 */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export const logFormatSchema = z.enum(LOG_FORMATS, { error: 'must be json or pretty' });
export type LogFormat = z.infer<typeof logFormatSchema>;

/**
 * Variables renamed for consistency, old name → new name. Where a program read the old name, it still does
 * for one release (the new one wins when both are set), with a warning.
 */
export const RENAMED_ENV = {
  COCOON_PROXY: 'COCOON_PROXY_URL',
  COCOON_LOG_LEVEL: 'LOG_LEVEL',
} as const;
export type RenamedEnv = keyof typeof RENAMED_ENV;

export function deprecationWarning(oldName: RenamedEnv): string {
  return `${oldName} is deprecated; use ${RENAMED_ENV[oldName]}`;
}

/**
 * The value of `name` ('' counts as unset), else of `former` (its old name, calling `warn`), else undefined.
 */
export function readEnv(
  env: EnvRecord,
  name: string,
  former?: RenamedEnv,
  warn?: (message: string) => void,
): string | undefined {
  const v = env[name];
  if (v !== undefined && v !== '') return v;
  const old = former === undefined ? undefined : env[former];
  if (former === undefined || old === undefined || old === '') return undefined;
  warn?.(deprecationWarning(former));
  return old;
}

/** One Error for a service's configuration, a line per problem: `invalid <service> configuration:\n  VAR: message`. */
export function configError(service: string, problems: string[]): Error {
  return new Error(`invalid ${service} configuration:\n  ${problems.join('\n  ')}`);
}

/** Each zod issue as `NAME: message`, NAME from `label` (the path by default). */
export function issueLines(error: z.ZodError, label: (field: string) => string = (f) => f): string[] {
  return error.issues.map((i) => `${label(i.path.map(String).join('.'))}: ${i.message}`);
}

export interface ParseEnvOptions {
  /** Named in the error: "invalid <service> configuration". */
  service: string;
  /** Old names this program used to read, still read for their new names (see RENAMED_ENV). */
  renamed?: readonly RenamedEnv[];
  /** Told about each old name still in use (default: nothing). */
  warn?: (message: string) => void;
}

/**
 * Parses an environment record with `schema`: empty strings are unset, old names in `renamed` are read under
 * their new names, and a bad value throws one Error naming every bad variable.
 */
export function parseEnv<S extends z.ZodObject>(
  schema: S,
  env: EnvRecord,
  opts: ParseEnvOptions,
): z.output<S> {
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  for (const former of opts.renamed ?? []) {
    const v = readEnv(env, RENAMED_ENV[former], former, opts.warn);
    if (v !== undefined) cleaned[RENAMED_ENV[former]] = v;
  }
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) throw configError(opts.service, issueLines(parsed.error));
  return parsed.data;
}

/** Problems for secrets that are the same value under two names: each must be its own secret. */
export function sharedSecretProblems(secrets: Array<[name: string, value: string | undefined]>): string[] {
  const set = secrets.filter((e): e is [string, string] => e[1] !== undefined);
  const problems: string[] = [];
  for (let i = 0; i < set.length; i++) {
    for (let j = i + 1; j < set.length; j++) {
      if (set[i][1] === set[j][1])
        problems.push(`${set[j][0]}: must be its own secret, not the same as ${set[i][0]}`);
    }
  }
  return problems;
}
