// One bot's update queue, consumed either by long polling (getUpdates) or by webhook delivery —
// never both, as on Telegram. Long polls park on a waiter instead of spinning.
import { conflict } from './errors';
import type { Update } from './model';

// Telegram's default when allowed_updates is empty: everything except these.
const optInUpdates = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);
const maxLongPollSeconds = 50;

export interface WebhookSettings {
  url: string;
  secretToken?: string;
  maxConnections: number;
}

export interface WebhookStatus {
  lastErrorDate?: number;
  lastErrorMessage?: string;
}

export interface UpdateQueueOptions {
  webhookMaxAttempts: number;
  webhookRetryDelayMs: number;
  webhookTimeoutMs: number;
  /** Runs a method returned in a webhook response body (Telegram's "webhook reply"). */
  onWebhookReply: (method: string, params: Record<string, unknown>) => Promise<void>;
  onLog?: (event: string, fields: Record<string, unknown>) => void;
}

interface PendingPoll {
  wake: () => void;
  terminate: () => void;
}

export class UpdateQueue {
  private pending: Update[] = [];
  private nextUpdateId = 1;
  private allowed: Set<string> | undefined; // undefined: Telegram's default set
  private poll: PendingPoll | undefined;
  webhook: WebhookSettings | undefined;
  readonly webhookStatus: WebhookStatus = {};
  private webhookGeneration = 0;
  private delivering = false;
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<AbortController>();

  constructor(private readonly options: UpdateQueueOptions) {}

  get pendingCount(): number {
    return this.pending.length;
  }

  get allowedUpdates(): string[] | undefined {
    return this.allowed ? [...this.allowed] : undefined;
  }

  setAllowedUpdates(list: string[] | undefined): void {
    if (list === undefined) return; // "If not specified, the previous setting will be used."
    this.allowed = list.length === 0 ? undefined : new Set(list);
  }

  isAllowed(type: string): boolean {
    return this.allowed ? this.allowed.has(type) : !optInUpdates.has(type);
  }

  /** Queues an update unless the bot opted out of its type. Returns the update, or undefined if dropped. */
  push(type: string, payload: unknown): Update | undefined {
    if (this.closed || !this.isAllowed(type)) return undefined;
    const update: Update = { update_id: this.nextUpdateId++, [type]: payload };
    this.pending.push(update);
    this.poll?.wake();
    void this.pumpWebhook();
    return update;
  }

  dropPending(): void {
    this.pending = [];
  }

  async getUpdates(
    args: { offset?: number; limit: number; timeoutSeconds: number },
    signal: AbortSignal,
  ): Promise<Update[]> {
    if (this.webhook) {
      throw conflict(
        "can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    }
    // A newer getUpdates terminates the one still parked, exactly like Telegram.
    this.poll?.terminate();
    this.poll = undefined;
    if (args.offset !== undefined && args.offset > 0) {
      const offset = args.offset;
      this.pending = this.pending.filter((u) => u.update_id >= offset);
    } else if (args.offset !== undefined && args.offset < 0) {
      this.pending = this.pending.slice(args.offset);
    }
    const timeoutSeconds = Math.min(Math.max(args.timeoutSeconds, 0), maxLongPollSeconds);
    if (this.pending.length === 0 && timeoutSeconds > 0 && !signal.aborted && !this.closed) {
      await new Promise<void>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          this.timers.delete(timer);
          signal.removeEventListener('abort', done);
          if (this.poll === entry) this.poll = undefined;
        };
        const timer = setTimeout(() => {
          done();
          resolve();
        }, timeoutSeconds * 1000);
        this.timers.add(timer);
        const entry: PendingPoll = {
          wake: () => {
            done();
            resolve();
          },
          terminate: () => {
            done();
            reject(
              conflict(
                'terminated by other getUpdates request; make sure that only one bot instance is running',
              ),
            );
          },
        };
        this.poll = entry;
        signal.addEventListener('abort', entry.wake);
      });
    }
    return this.pending.slice(0, args.limit);
  }

  setWebhook(settings: WebhookSettings | undefined): void {
    if (settings) this.poll?.terminate();
    this.webhook = settings;
    this.webhookGeneration += 1;
    this.webhookStatus.lastErrorDate = undefined;
    this.webhookStatus.lastErrorMessage = undefined;
    void this.pumpWebhook();
  }

  /** Delivers queued updates one at a time, in order; each gets a bounded number of attempts. */
  private async pumpWebhook(): Promise<void> {
    if (this.delivering || !this.webhook || this.closed) return;
    this.delivering = true;
    try {
      let attempts = 0;
      while (!this.closed && this.webhook && this.pending.length > 0) {
        const generation = this.webhookGeneration;
        const update = this.pending[0];
        const error = await this.deliver(this.webhook, update);
        if (generation !== this.webhookGeneration) {
          attempts = 0;
          continue; // webhook changed meanwhile: start over with the new settings
        }
        if (error === undefined) {
          this.pending.shift();
          attempts = 0;
          continue;
        }
        attempts += 1;
        this.webhookStatus.lastErrorDate = Math.floor(Date.now() / 1000);
        this.webhookStatus.lastErrorMessage = error;
        this.options.onLog?.('webhook_delivery_failed', { updateId: update.update_id, attempts });
        if (attempts >= this.options.webhookMaxAttempts) {
          this.pending.shift(); // give up on this update, as the brief bounds retries
          attempts = 0;
          continue;
        }
        await this.sleep(this.options.webhookRetryDelayMs * 2 ** (attempts - 1));
      }
    } finally {
      this.delivering = false;
    }
  }

  private async deliver(webhook: WebhookSettings, update: Update): Promise<string | undefined> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(), this.options.webhookTimeoutMs);
    try {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (webhook.secretToken) headers['x-telegram-bot-api-secret-token'] = webhook.secretToken;
      const res = await fetch(webhook.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(update),
        signal: controller.signal,
      });
      const body = await res.text();
      if (res.status < 200 || res.status > 299) {
        return `Wrong response from the webhook: ${res.status} ${res.statusText}`;
      }
      await this.runWebhookReply(res.headers.get('content-type'), body);
      return undefined;
    } catch (err) {
      return controller.signal.aborted
        ? 'Read timeout expired'
        : `Connection refused (${(err as Error).message})`;
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
  }

  private async runWebhookReply(contentType: string | null, body: string): Promise<void> {
    if (!contentType?.includes('application/json') || body.trim() === '') return;
    try {
      const parsed = JSON.parse(body) as unknown;
      if (
        parsed &&
        typeof parsed === 'object' &&
        typeof (parsed as { method?: unknown }).method === 'string'
      ) {
        const { method, ...params } = parsed as { method: string } & Record<string, unknown>;
        await this.options.onWebhookReply(method, params);
      }
    } catch {
      // Telegram ignores webhook reply bodies it can't use.
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  close(): void {
    this.closed = true;
    this.poll?.wake();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.inFlight) controller.abort();
  }
}
