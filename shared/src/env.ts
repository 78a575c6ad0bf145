// Env parsing, the same in every process: a zod schema over the environment (empty strings count as unset),
// renamed variables still read for one release with a warning, and one Error that names every bad variable.
// Pure: no I/O at import time, safe in the browser bundle.
import { z } from 'zod';

export type EnvRecord = Record<string, string | undefined>;

/** 'true' | 'false' | '1' | '0' | 'yes' | 'no', as a boolean. */
export const envBool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const logLevelSchema = z.enum(LOG_LEVELS, {
  error: `must be ${LOG_LEVELS.slice(0, -1).join(', ')} or ${LOG_LEVELS.at(-1)}`,
});
export type LogLevel = z.infer<typeof logLevelSchema>;

/**
 * Variables renamed for consistency, old name → new name. The old name still works for one release (the new
 * one wins when both are set), with a warning.
 */
export const RENAMED_ENV: Readonly<Record<string, string>> = {
  COCOON_PROXY: 'COCOON_PROXY_URL',
  COCOON_LOG_LEVEL: 'LOG_LEVEL',
};

export function deprecationWarning(oldName: string): string {
  return `${oldName} is deprecated; use ${RENAMED_ENV[oldName]}`;
}

/** The value of `name`, or of the old name it replaced (calling `warn` once), or undefined; '' counts as unset. */
export function readEnv(env: EnvRecord, name: string, warn?: (message: string) => void): string | undefined {
  const v = env[name];
  if (v !== undefined && v !== '') return v;
  for (const [oldName, newName] of Object.entries(RENAMED_ENV)) {
    const old = env[oldName];
    if (newName === name && old !== undefined && old !== '') {
      warn?.(deprecationWarning(oldName));
      return old;
    }
  }
  return undefined;
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
  /** Told about each renamed variable still in use (default: nothing). */
  warn?: (message: string) => void;
}

/**
 * Parses an environment record with `schema`: empty strings are unset, renamed variables are read under
 * their new names, and a bad value throws one Error naming every bad variable.
 */
export function parseEnv<S extends z.ZodObject>(
  schema: S,
  env: EnvRecord,
  opts: ParseEnvOptions,
): z.output<S> {
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  // Only the renamed variables this schema reads: another program's old name is none of its business.
  for (const newName of Object.values(RENAMED_ENV).filter((n) => n in schema.shape)) {
    const v = readEnv(env, newName, opts.warn);
    if (v !== undefined) cleaned[newName] = v;
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
