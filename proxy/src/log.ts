// pino with redaction: logs never carry message text, envelopes, keys or tokens.
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

export function createLogger(level: string, destination?: pino.DestinationStream) {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
}

export type Logger = pino.Logger;
