import { ApiError } from '@cocoon/shared';
import { describe, expect, it } from 'vitest';
import { classifyJobError, costFooter, splitMessage } from './text';

describe('splitMessage', () => {
  it('keeps short text whole and splits long text at word boundaries within the limit', () => {
    expect(splitMessage('hello')).toEqual(['hello']);
    const words = Array.from({ length: 2000 }, (_, i) => `word${i}`);
    const parts = splitMessage(words.join(' '));
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(4096);
    expect(parts.join(' ')).toBe(words.join(' '));
  });

  it('prefers paragraph breaks and never cuts a surrogate pair', () => {
    const a = 'a'.repeat(3000);
    const b = 'b'.repeat(3000);
    expect(splitMessage(`${a}\n\n${b}`)).toEqual([a, b]);
    const emoji = '😀'.repeat(3000); // 6,000 UTF-16 units, no spaces
    const parts = splitMessage(emoji);
    expect(parts.join('')).toBe(emoji);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(4096);
      expect(p.length % 2).toBe(0);
    }
  });
});

describe('job errors', () => {
  it('maps proxy errors to what the user is told', () => {
    expect(classifyJobError(new ApiError(402, 'insufficient_funds', 'x'))).toBe('insufficient_funds');
    expect(classifyJobError(new ApiError(503, 'no_capacity', 'x'))).toBe('no_capacity');
    expect(classifyJobError(new ApiError(503, 'price_too_high', 'x'))).toBe('price_too_high');
    expect(classifyJobError(new ApiError(504, 'timeout', 'x'))).toBe('timeout');
    expect(classifyJobError(new ApiError(502, 'job_failed', 'x'))).toBe('job_failed');
    expect(classifyJobError(new TypeError('fetch failed'))).toBe('unavailable');
    expect(costFooter(1_500_000n, 'abcdef0123456789')).toBe('— 0.0015 TON · rig abcdef01');
  });
});
