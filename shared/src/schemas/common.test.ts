import { describe, expect, it } from 'vitest';
import { priceNanoPer1k } from './common';

describe('priceNanoPer1k', () => {
  it('takes decimal strings, exactly, even above 2^53', () => {
    expect(priceNanoPer1k.parse('12345678901234567890')).toBe(12345678901234567890n);
    expect(priceNanoPer1k.parse('0')).toBe(0n);
  });

  it('refuses JSON numbers, which lose digits before anyone can check them', () => {
    // 12345678901234567890 as a JSON number parses to 12345678901234567000: another price.
    const r = priceNanoPer1k.safeParse(JSON.parse('12345678901234567890'));
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].message).toMatch(/not a JSON number/);
    expect(priceNanoPer1k.safeParse(1000).success).toBe(false);
    for (const bad of ['-5', '1.5', 'abc', '']) expect(priceNanoPer1k.safeParse(bad).success).toBe(false);
  });
});
