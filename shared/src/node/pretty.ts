// LOG_FORMAT=pretty: each pino line becomes one short line for people, in local time:
//   12:03:04 rig online  device=cpu slots=1 models=summarize-extractive,demo-gen
//   12:03:09 warn  disconnected from the proxy; reconnecting  code=1006 retryInMs=1000
// The fields are the ones pino already carries (already redacted), so nothing new reaches the console.

/** Fields every line has, or that mean nothing to a person reading a console. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v', 'reqId']);

const LEVEL_TAGS: Record<number, string> = { 40: 'warn', 50: 'error', 60: 'fatal', 20: 'debug', 10: 'trace' };

const ANSI = { dim: '\x1b[2m', yellow: '\x1b[33m', red: '\x1b[31m', reset: '\x1b[0m' };

export interface PrettyOptions {
  /** ANSI colours (level tags, a dim clock). */
  color?: boolean;
}

/** Whether to colour what goes to `stream`: a terminal, or FORCE_COLOR set (the launcher, for its pipes); never with NO_COLOR. */
export function wantsColor(stream: { isTTY?: boolean } = process.stdout, env = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return Boolean(stream.isTTY);
}

/** HH:MM:SS in local time. */
export function clock(date: Date = new Date()): string {
  return [date.getHours(), date.getMinutes(), date.getSeconds()]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
}

function fieldValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null)) return v.join(',');
  if (typeof v === 'object') {
    // An error serialized by pino: its message says it all on a console.
    const o = v as { message?: unknown; type?: unknown };
    if (typeof o.message === 'string') return JSON.stringify(o.message);
    return JSON.stringify(v);
  }
  return String(v);
}

/** One pino line (parsed) as a console line, without the trailing newline. */
export function prettyLine(entry: Record<string, unknown>, opts: PrettyOptions = {}): string {
  const c = opts.color ? ANSI : { dim: '', yellow: '', red: '', reset: '' };
  const time = typeof entry.time === 'number' ? new Date(entry.time) : new Date();
  const level = typeof entry.level === 'number' ? entry.level : 30;
  const tag = LEVEL_TAGS[level];
  const tagText = tag ? `${level >= 50 ? c.red : level === 40 ? c.yellow : c.dim}${tag}${c.reset}  ` : '';
  const msg = typeof entry.msg === 'string' ? entry.msg : '';
  const fields = Object.entries(entry)
    .filter(([k, v]) => !HIDDEN.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${fieldValue(v)}`);
  const rest = fields.length ? `  ${c.dim}${fields.join(' ')}${c.reset}` : '';
  return `${c.dim}${clock(time)}${c.reset} ${tagText}${msg}${rest}`;
}

/** A pino destination that writes each line pretty to `out` (stdout by default). */
export function prettyDestination(
  out: { write(s: string): unknown } = process.stdout,
  opts: PrettyOptions = {},
): { write(line: string): void } {
  return {
    write(line: string) {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line);
      } catch {
        out.write(line);
        return;
      }
      out.write(`${prettyLine(entry, opts)}\n`);
    },
  };
}
