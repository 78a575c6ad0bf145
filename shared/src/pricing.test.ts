import { describe, expect, it } from 'vitest';
import { chargeFor, formatTon, holdFor, parseTon, rigCostNano } from './pricing';

describe('pricing', () => {
  it('rounds rig cost up to a whole nanoTON and the fee down', () => {
    expect(rigCostNano(1, 1000n)).toBe(1n);
    expect(rigCostNano(1, 1001n)).toBe(2n);
    expect(rigCostNano(1500, 2_000_000n)).toBe(3_000_000n);
    expect(chargeFor(1500, 2_000_000n, 1000)).toEqual({
      rigNano: 3_000_000n,
      feeNano: 300_000n,
      totalNano: 3_300_000n,
    });
    expect(chargeFor(1, 1001n, 1000)).toEqual({ rigNano: 2n, feeNano: 0n, totalNano: 2n });
  });

  it('a hold covers every charge within the quote', () => {
    for (const tokens of [0, 1, 7, 999, 1000, 4097]) {
      for (const price of [0n, 1n, 999n, 123_456_789n]) {
        expect(chargeFor(tokens, price, 1000).totalNano).toBeLessThanOrEqual(
          holdFor(4097, 123_456_789n, 1000),
        );
      }
    }
  });

  it('parses and formats TON without floating point', () => {
    expect(parseTon('1.5')).toBe(1_500_000_000n);
    expect(parseTon('0.000000001')).toBe(1n);
    expect(() => parseTon('1.0000000001')).toThrow();
    expect(() => parseTon('-1')).toThrow();
    expect(formatTon(1_500_000_000n)).toBe('1.5');
    expect(formatTon(5n)).toBe('0.000000005');
    expect(formatTon(-2_000_000_000n)).toBe('-2');
  });
});
