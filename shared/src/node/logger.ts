// The one pino logger factory, with the redaction list: logs never carry message text, envelopes, keys or tokens.
import pino from 'pino';
import type { LogFormat } from '../env';
import { prettyDestination, wantsColor } from './pretty';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-cocoon-user-name"]',
  'envelope',
  '*.envelope',
  'body',
  '*.body',
  'token',
  '*.token',
  'key',
  '*.key',
  'result',
  '*.result',
  'sealed',
  '*.sealed',
];

export type Logger = pino.Logger;
export type LogDestination = pino.DestinationStream;

export interface LoggerOptions {
  /** The program, as the `name` field of each line (omitted when unset). */
  name?: string;
  /** A pino level; 'info' by default. */
  level?: string;
  destination?: LogDestination;
  /** 'json' (the default: one pino line per event) or 'pretty' (one short line for people, see pretty.ts). */
  format?: LogFormat;
}

/** A redacting pino logger: `createLogger({ name, level, format })`, or `createLogger(level, destination)`. */
export function createLogger(opts: LoggerOptions | string = {}, destination?: LogDestination): Logger {
  const o: LoggerOptions = typeof opts === 'string' ? { level: opts, destination } : opts;
  const dest =
    o.format === 'pretty'
      ? prettyDestination(o.destination ?? process.stdout, { color: wantsColor(process.stdout) })
      : o.destination;
  return pino(
    {
      ...(o.name ? { name: o.name } : {}),
      level: o.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    dest,
  );
}
