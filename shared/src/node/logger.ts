// The one pino logger factory, with the redaction list: logs never carry message text, envelopes, keys or tokens.
import pino from 'pino';

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
}

/** A redacting pino logger: `createLogger({ name, level })`, or `createLogger(level, destination)`. */
export function createLogger(opts: LoggerOptions | string = {}, destination?: LogDestination): Logger {
  const o = typeof opts === 'string' ? { level: opts, destination } : opts;
  return pino(
    {
      ...(o.name ? { name: o.name } : {}),
      level: o.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    o.destination,
  );
}
