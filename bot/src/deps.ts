// What the bot's features need from the outside world; createBot() fills in the defaults.
import type { CocoonClient } from '@cocoon/shared';
import type { BotConfig } from './config';
import type { HistoryStore } from './history/store';
import type { RateLimiter } from './rate-limit';
import type { TrustSettings } from './settings/trust';

/** pino-compatible. Fields never hold message text, prompts, summaries or keys. */
export interface Logger {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export interface TelegramUserRef {
  id: number;
  first_name: string;
  last_name?: string;
}

export interface BotDeps {
  history: HistoryStore;
  /** A proxy client that acts for (and charges) this Telegram user. */
  cocoonFor(user: TelegramUserRef): CocoonClient;
  log: Logger;
  tasks: Tasks;
  limits: { user: RateLimiter; chat: RateLimiter };
  /** Each chat's trust tier for its jobs (/trust). */
  trust: TrustSettings;
}

export interface Features {
  config: BotConfig;
  deps: BotDeps;
}

/**
 * Long jobs (a streamed /generate) run beside the update loop, so one user's job doesn't hold up every
 * chat. The set lets stop() wait for them.
 */
export class Tasks {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly log: Logger) {}

  run(name: string, fn: () => Promise<void>): void {
    const p = fn()
      .catch((err: unknown) =>
        this.log.error({ task: name, err: describeError(err) }, 'background task failed'),
      )
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }

  get size(): number {
    return this.running.size;
  }

  async drain(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }
}

/** An error's class, status and code, never its message (a Bot API error may quote text). */
export function describeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const e = err as Error & { status?: number; code?: string; error_code?: number };
  return { name: e.name, status: e.status ?? e.error_code, code: e.code };
}

export function displayName(u: { first_name: string; last_name?: string }): string {
  return [u.first_name, u.last_name].filter(Boolean).join(' ').slice(0, 128);
}
