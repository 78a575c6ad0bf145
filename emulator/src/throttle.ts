// Optional send-rate limits shaped like Telegram's published guidance (about one message a second
// per private chat with short bursts, 20 a minute per group, 30 a second overall). Off by default.
import { tooManyRequests } from './errors';
import type { TgChat } from './model';

export interface ThrottleOptions {
  privateChat: { max: number; windowMs: number };
  groupChat: { max: number; windowMs: number };
  global: { max: number; windowMs: number };
}

export const realisticThrottle: ThrottleOptions = {
  privateChat: { max: 5, windowMs: 5_000 },
  groupChat: { max: 20, windowMs: 60_000 },
  global: { max: 30, windowMs: 1_000 },
};

export class Throttle {
  private readonly sent = new Map<string, number[]>();

  constructor(
    private readonly options: ThrottleOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Records one send to `chat`, or throws 429 with the seconds until a slot frees up. */
  check(chat: TgChat): void {
    const now = this.clock();
    const perChat = chat.type === 'private' ? this.options.privateChat : this.options.groupChat;
    const waits = [
      this.waitFor(`chat:${chat.id}`, perChat, now),
      this.waitFor('global', this.options.global, now),
    ];
    const wait = Math.max(...waits);
    if (wait > 0) throw tooManyRequests(Math.max(1, Math.ceil(wait / 1000)));
    this.sent.get(`chat:${chat.id}`)!.push(now);
    this.sent.get('global')!.push(now);
  }

  private waitFor(key: string, limit: { max: number; windowMs: number }, now: number): number {
    const times = (this.sent.get(key) ?? []).filter((t) => t > now - limit.windowMs);
    this.sent.set(key, times);
    return times.length < limit.max ? 0 : times[0] + limit.windowMs - now;
  }
}
