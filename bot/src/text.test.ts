import { ApiError } from '@cocoon/shared';
import { describe, expect, it } from 'vitest';
import {
  CUT_MARKER,
  classifyJobError,
  costFooter,
  jobErrorText,
  layoutReply,
  MAX_REPLY_MESSAGES,
  splitMessage,
} from './text';

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

describe('layoutReply', () => {
  it('never takes more than MAX_REPLY_MESSAGES messages, cut with a marker, footer kept last', () => {
    const flood = Array.from({ length: 15_000 }, (_, i) => `w${i}`).join(' '); // ~90,000 characters
    const parts = layoutReply(flood, '— 0.1 TON · rig abcdef12');
    expect(parts).toHaveLength(MAX_REPLY_MESSAGES);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(4096);
    expect(parts.at(-1)).toContain(CUT_MARKER);
    expect(parts.at(-1)?.endsWith('— 0.1 TON · rig abcdef12')).toBe(true);
    expect(flood.startsWith(parts[0])).toBe(true);
  });

  it('keeps a short answer whole with its footer, and a footer that no longer fits goes in its own message', () => {
    expect(layoutReply('hello', 'footer')).toEqual(['hello\n\nfooter']);
    const full = 'x'.repeat(4096);
    expect(layoutReply(full, 'footer')).toEqual([full, 'footer']);
    const threeFull = Array.from({ length: 3 }, () => 'y'.repeat(4096)).join('\n\n');
    const parts = layoutReply(threeFull, 'footer');
    expect(parts).toHaveLength(3);
    expect(parts[2].endsWith('\n\nfooter')).toBe(true);
    expect(parts[2].length).toBeLessThanOrEqual(4096);
  });
});

describe('job errors', () => {
  it('maps proxy errors to what the user is told', () => {
    expect(classifyJobError(new ApiError(402, 'insufficient_funds', 'x'))).toBe('insufficient_funds');
    // Also a 402, but not "buy more": a reversed Stars charge is owed first.
    expect(classifyJobError(new ApiError(402, 'stars_receivable', 'x'))).toBe('stars_receivable');
    expect(classifyJobError(new ApiError(503, 'no_capacity', 'x'))).toBe('no_capacity');
    // The queue: no room, no wait allowed, or a wait past its deadline.
    expect(classifyJobError(new ApiError(429, 'queue_cap', 'x'))).toBe('queue_busy');
    expect(classifyJobError(new ApiError(503, 'queue_full', 'x'))).toBe('queue_busy');
    expect(
      classifyJobError(
        new ApiError(502, 'job_failed', "no candidate rig had a free slot within the job's wait deadline"),
      ),
    ).toBe('queue_busy');
    expect(classifyJobError(new ApiError(503, 'price_too_high', 'x'))).toBe('price_too_high');
    expect(classifyJobError(new ApiError(504, 'timeout', 'x'))).toBe('timeout');
    expect(classifyJobError(new ApiError(502, 'job_failed', 'x'))).toBe('job_failed');
    expect(classifyJobError(new TypeError('fetch failed'))).toBe('unavailable');
    expect(costFooter(1_500_000n, 'abcdef0123456789')).toBe('— 0.0015 TON · rig abcdef01');
    expect(costFooter(1_500_000n, 'abcdef0123456789', 'tdx')).toBe(
      '— 0.0015 TON · confidential (TDX) rig abcdef01',
    );
    // The confidential tier's refusals are not "no capacity" (a 503 too): they say what the chat asked for.
    expect(classifyJobError(new ApiError(503, 'no_confidential_capacity', 'x'))).toBe(
      'no_confidential_capacity',
    );
    expect(classifyJobError(new ApiError(503, 'no_verified_rig', 'x'))).toBe('no_verified_rig');
    // An on-chain user's unsigned voucher is not a conflict to retry: they sign in the Mini App.
    expect(classifyJobError(new ApiError(409, 'voucher_due', 'x'))).toBe('voucher_due');
    expect(jobErrorText('voucher_due', 'demo-gen')).toMatch(/waiting for your signature.*Mini App/);
    // One job at a time from an on-chain account: the next waits for the running one, it is not an outage.
    expect(classifyJobError(new ApiError(409, 'onchain_job_open', 'x'))).toBe('onchain_job_open');
    expect(jobErrorText('onchain_job_open', 'demo-gen')).toMatch(/one job at a time.*still running/);
    expect(classifyJobError(new ApiError(502, 'policy_rejected', 'x'))).toBe('attestation_unavailable');
    expect(classifyJobError(new ApiError(502, 'policy_rolled_back', 'x'))).toBe('attestation_unavailable');
    expect(classifyJobError(new ApiError(502, 'policy_expired', 'x'))).toBe('attestation_unavailable');
    expect(classifyJobError(new ApiError(400, 'attestation_not_configured', 'x'))).toBe(
      'attestation_unavailable',
    );
  });
});
