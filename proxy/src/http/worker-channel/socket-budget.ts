// What one rig's socket may send: a token bucket of bytes (a burst, then a steady rate) and a cap on the
// bytes received but not yet handled. A socket over either is closed with a reason; the rest of the proxy
// never sees the flood.

export interface SocketBudgetLimits {
  /** Bytes per second, sustained. */
  bytesPerS: number;
  /** Bytes a socket may send at once before the rate applies. */
  burstBytes: number;
  /** Bytes received and still waiting to be handled (messages are handled one at a time, in order). */
  maxQueuedBytes: number;
}

export class SocketBudget {
  private tokens: number;
  private last = Date.now();
  private queued = 0;

  constructor(private readonly limits: SocketBudgetLimits) {
    this.tokens = limits.burstBytes;
  }

  /** Accounts for a received frame; returns why the socket must close, or null. */
  receive(bytes: number): string | null {
    const now = Date.now();
    this.tokens = Math.min(
      this.limits.burstBytes,
      this.tokens + ((now - this.last) / 1000) * this.limits.bytesPerS,
    );
    this.last = now;
    this.tokens -= bytes;
    if (this.tokens < 0) return `sending faster than ${this.limits.bytesPerS} bytes/s`;
    this.queued += bytes;
    if (this.queued > this.limits.maxQueuedBytes)
      return `more than ${this.limits.maxQueuedBytes} bytes waiting to be handled`;
    return null;
  }

  /** A received frame was handled. */
  handled(bytes: number): void {
    this.queued -= bytes;
  }
}
