// Node-only plumbing (pino, node:util, process): the logger factory, the flag parser, start-up failure.
export * from './flags';
export * from './http-timeouts';
export * from './logger';
export * from './pretty';
export * from './request-log';
export * from './startup';
