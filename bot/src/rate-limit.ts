// Small in-memory token buckets: a burst, then one token every `refillMs`. Bounded in size.

export interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly burst: number,
    private readonly refillMs: number,
    private readonly maxKeys = 50_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a token for `key`: 0 when allowed, else the milliseconds until one is available. */
  take(key: string): number {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: t };
    const refilled = Math.min(this.burst, b.tokens + (t - b.at) / this.refillMs);
    if (refilled >= 1) {
      this.buckets.delete(key); // re-insert: Map order doubles as least-recently-used order
      this.buckets.set(key, { tokens: refilled - 1, at: t });
      this.evict();
      return 0;
    }
    this.buckets.set(key, { tokens: refilled, at: t });
    return Math.ceil((1 - refilled) * this.refillMs);
  }

  /** Gives a token back (the other bucket refused, so this one should not be charged). */
  refund(key: string): void {
    const b = this.buckets.get(key);
    if (b) b.tokens = Math.min(this.burst, b.tokens + 1);
  }

  private evict(): void {
    while (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest === undefined) break;
      this.buckets.delete(oldest);
    }
  }
}
