// One control API request as the route groups see it (control.ts, stars-control.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Emulator } from './emulator';

export interface ControlRoute {
  emulator: Emulator;
  req: IncomingMessage;
  res: ServerResponse;
  /** The path after /_emulator (or /control), without a trailing slash. */
  path: string;
  method: string;
  q: URLSearchParams;
  /** ?bot=: which bot a chat belongs to (id, username or token). */
  bot: string | undefined;
  /** ?timeoutMs= for the routes that wait, 1..60000 (default 5000). */
  timeout: number;
}

/** What a route group answers when the request isn't one of its routes. */
export const noRoute = Symbol('no route');
