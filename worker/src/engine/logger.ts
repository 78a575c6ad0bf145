// The engine logs through the same shape as a pino logger, so the CLI can pass its own pino
// instance; the default writes one JSON line per event to stderr. Never log message text or keys.
export interface EngineLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

function line(level: number, obj: Record<string, unknown>, msg: string): void {
  process.stderr.write(`${JSON.stringify({ level, time: Date.now(), name: 'engine', ...obj, msg })}\n`);
}

export const defaultEngineLogger: EngineLogger = {
  info: (obj, msg) => line(30, obj, msg),
  warn: (obj, msg) => line(40, obj, msg),
};

export const silentEngineLogger: EngineLogger = { info: () => {}, warn: () => {} };
