import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit';

describe('RateLimiter', () => {
  it('allows a burst, then says how long to wait, and refills over time', () => {
    let now = 1_000_000;
    const rl = new RateLimiter(2, 10_000, 100, () => now);
    expect(rl.take('u')).toBe(0);
    expect(rl.take('u')).toBe(0);
    expect(rl.take('u')).toBe(10_000);
    expect(rl.take('other')).toBe(0);
    now += 4_000;
    expect(rl.take('u')).toBe(6_000);
    now += 6_000;
    expect(rl.take('u')).toBe(0);
    rl.refund('u');
    expect(rl.take('u')).toBe(0);
  });

  it('stays bounded in the number of keys it remembers', () => {
    const rl = new RateLimiter(1, 60_000, 10, () => 0);
    for (let i = 0; i < 100; i++) rl.take(`k${i}`);
    expect(rl.take('k0')).toBe(0); // evicted, so a fresh bucket
    expect(rl.take('k99')).toBeGreaterThan(0);
  });
});
