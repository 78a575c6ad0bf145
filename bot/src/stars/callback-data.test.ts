import { describe, expect, it } from 'vitest';
import { buyCallbackData, parseBuyData, parseRefundData, refundCallbackData } from './callback-data';

const ID = '0b8f2a4e-1c3d-4e5f-8a9b-0c1d2e3f4a5b';

describe('Stars callback data', () => {
  it('round-trips a pack and a purchase within 64 bytes', () => {
    expect(parseBuyData(buyCallbackData(250))).toBe(250);
    expect(parseRefundData(refundCallbackData(ID))).toBe(ID);
    expect(Buffer.byteLength(refundCallbackData(ID))).toBeLessThanOrEqual(64);
  });

  it('refuses anything else a client may send', () => {
    for (const bad of [
      undefined,
      '',
      'stars:buy:',
      'stars:buy:0',
      'stars:buy:-5',
      'stars:buy:012',
      'stars:buy:1.5',
      'stars:buy:99999999',
      'stars:buy:50 ',
      `stars:buy:50${'0'.repeat(80)}`,
      'stars:refund:not-a-uuid',
      `stars:refund:${ID}x`,
      `stars:refund:${ID.toUpperCase()}`,
    ]) {
      expect(parseBuyData(bad), String(bad)).toBeNull();
      expect(parseRefundData(bad), String(bad)).toBeNull();
    }
    expect(() => buyCallbackData(0)).toThrow(RangeError);
    expect(() => buyCallbackData(2_000_000)).toThrow(RangeError);
    expect(() => refundCallbackData('x')).toThrow();
  });
});
