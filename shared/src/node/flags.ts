// Command-line flags with environment fallbacks, parsed once with zod: the one flag parser of the CLIs
// (worker, gateway, emulator). Flags win over env; renamed env variables still work with a warning.
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { type EnvRecord, issueLines, type RenamedEnv, readEnv } from '../env';

export interface FlagSpec {
  /** The flag without dashes, e.g. 'config-dir'. */
  flag: string;
  /** The environment variable it falls back to. */
  env?: string;
  /** The variable's old name, still read for one release with a warning. */
  formerEnv?: RenamedEnv;
  /** A switch (`--no-demo`) rather than a value. */
  boolean?: boolean;
}

export type FlagsResult<T> =
  | { kind: 'ok'; config: T }
  | { kind: 'help' }
  | { kind: 'error'; message: string; lines: string[] };

export interface ParseFlagsOptions<S extends z.ZodObject> {
  argv: string[];
  env?: EnvRecord;
  /** One spec per schema field. */
  flags: { [K in keyof z.input<S>]-?: FlagSpec };
  schema: S;
  /** Told about each renamed env variable still in use. */
  warn?: (message: string) => void;
}

/** How a field is named in messages: `--flag (or ENV)`, or `--flag`. */
export function flagLabel(spec: FlagSpec): string {
  return spec.env ? `--${spec.flag} (or ${spec.env})` : `--${spec.flag}`;
}

/**
 * Parses argv (without node and the script) and env into the schema's output, or a message naming each bad
 * field as `--flag (or ENV): what to fix`. `-h`/`--help` answers `{ kind: 'help' }`.
 */
export function parseFlags<S extends z.ZodObject>(opts: ParseFlagsOptions<S>): FlagsResult<z.output<S>> {
  const specs = Object.entries(opts.flags) as Array<[string, FlagSpec]>;
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: opts.argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(
          specs.map(([, s]) => [s.flag, { type: s.boolean ? 'boolean' : 'string' } as const]),
        ),
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { kind: 'error', message, lines: [message] };
  }
  if (values.help) return { kind: 'help' };
  const input: Record<string, string | boolean | undefined> = {};
  for (const [field, spec] of specs) {
    const v = values[spec.flag];
    input[field] =
      typeof v === 'boolean' || (typeof v === 'string' && v !== '')
        ? v
        : spec.env && opts.env
          ? readEnv(opts.env, spec.env, spec.formerEnv, opts.warn)
          : undefined;
  }
  const parsed = opts.schema.safeParse(input);
  if (!parsed.success) {
    const lines = issueLines(parsed.error, (field) => {
      const spec = opts.flags[field as keyof typeof opts.flags] as FlagSpec | undefined;
      return spec ? flagLabel(spec) : field;
    });
    return { kind: 'error', message: lines.join('\n'), lines };
  }
  return { kind: 'ok', config: parsed.data };
}
