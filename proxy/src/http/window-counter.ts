// Counts events per key (an IP address: request.ip, the client's own behind TRUST_PROXY) in fixed one-minute
// windows, in memory, per proxy process. For the bounds checked before any lookup (refused worker upgrades,
// failed authentications per IP): cheap, and bounded in memory (it forgets everything when it holds too many
// keys, which only ever lets some callers in early).

export class WindowCounter {
  private readonly counts = new Map<string, { n: number; since: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly maxKeys = 100_000,
  ) {}

  private entry(key: string, now: number): { n: number; since: number } {
    let e = this.counts.get(key);
    if (!e || now - e.since >= this.windowMs) {
      if (!e && this.counts.size >= this.maxKeys) this.counts.clear();
      e = { n: 0, since: now };
      this.counts.set(key, e);
    }
    return e;
  }

  /** Counts one event for `key`; false when that puts it over the limit. */
  hit(key: string, now = Date.now()): boolean {
    const e = this.entry(key, now);
    e.n++;
    return e.n <= this.limit;
  }

  /**
   * Takes back one event counted for `key` (one that turned out harmless: a worker upgrade whose token was
   * accepted). Within its window only; a window that has ended is forgotten anyway.
   */
  refund(key: string, since: number): void {
    const e = this.counts.get(key);
    if (e && e.since === since && e.n > 0) e.n--;
  }

  /** When `key`'s current window began (pass it to refund). */
  windowOf(key: string, now = Date.now()): number {
    return this.entry(key, now).since;
  }

  /** Whether `key` is already over the limit in this window (counts nothing). */
  over(key: string, now = Date.now()): boolean {
    const e = this.counts.get(key);
    return !!e && now - e.since < this.windowMs && e.n >= this.limit;
  }

  /** Seconds until `key`'s window ends (for retry-after). */
  retryAfterS(key: string, now = Date.now()): number {
    const e = this.counts.get(key);
    return e ? Math.max(1, Math.ceil((e.since + this.windowMs - now) / 1000)) : 1;
  }
}
