// The engine logs through the same shape as a pino logger, so the CLI can pass its own pino
// instance; the default writes one JSON line per event to stderr. Never log message text or keys.
export interface EngineLogger {
  /** Details a rig owner rarely needs (each session ready, why CUDA was skipped); pino has it. */
  debug?(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

/** Logs at debug where the logger has it (the default JSON logger has not: info). */
export function logDetail(logger: EngineLogger, obj: Record<string, unknown>, msg: string): void {
  if (logger.debug) logger.debug(obj, msg);
  else logger.info(obj, msg);
}

function line(level: number, obj: Record<string, unknown>, msg: string): void {
  process.stderr.write(`${JSON.stringify({ level, time: Date.now(), name: 'engine', ...obj, msg })}\n`);
}

export const defaultEngineLogger: EngineLogger = {
  info: (obj, msg) => line(30, obj, msg),
  warn: (obj, msg) => line(40, obj, msg),
};

export const silentEngineLogger: EngineLogger = { info: () => {}, warn: () => {} };
