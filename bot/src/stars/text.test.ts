import type { StarsPurchaseView } from '@cocoon/shared';
import { describe, expect, it } from 'vitest';
import { balanceLines, formatDuration, notRefundableReason, offerText, refundListText } from './text';

const offer = {
  rateNanoPerStar: '10000000',
  packs: [
    { stars: 50, nano: '500000000' },
    { stars: 1000, nano: '10000000000' },
  ],
  dailyCapStars: 5000,
  refundWindowMs: 7 * 86_400_000,
  earningsHoldMs: 21 * 86_400_000,
};

function purchase(over: Partial<StarsPurchaseView> = {}): StarsPurchaseView {
  return {
    id: '0b8f2a4e-1c3d-4e5f-8a9b-0c1d2e3f4a5b',
    stars: 50,
    nano: '500000000',
    rateNanoPerStar: '10000000',
    state: 'paid',
    telegramPaymentChargeId: 'charge-1',
    createdAt: '2026-12-01T10:00:00.000Z',
    paidAt: '2026-12-01T10:00:05.000Z',
    spentNano: '0',
    refundable: true,
    refundableUntil: '2026-12-08T10:00:05.000Z',
    notRefundableReason: null,
    ...over,
  };
}

describe('Stars texts', () => {
  it('shows the rate and what each pack buys before purchase', () => {
    const text = offerText(offer);
    expect(text).toContain('Rate: 1 ⭐ = 0.01 TON of compute.');
    expect(text).toContain('50 ⭐ → 0.5 TON');
    expect(text).toContain('1,000 ⭐ → 10 TON');
    expect(text).toContain('within 7 days (/refund)');
    expect(text).toContain('never withdrawable');
  });

  it('keeps Stars credit and a receivable apart from the balance', () => {
    expect(balanceLines({ balanceNano: '500000000', heldNano: '0' })).toEqual(['Balance: 0.5 TON']);
    const lines = balanceLines({
      balanceNano: '100',
      heldNano: '0',
      starsNano: '2500000000',
      receivableNano: '300000000',
    });
    expect(lines[1]).toMatch(/^Stars credit: 2\.5 TON/);
    expect(lines[2]).toMatch(/^Owed: 0\.3 TON .*New jobs are paused/);
  });

  it('says why a purchase is not refundable: a partly spent charge is refunded whole or not at all', () => {
    expect(notRefundableReason(purchase({ refundable: false, spentNano: '1' }))).toMatch(
      /Telegram refunds a whole payment only/,
    );
    expect(notRefundableReason(purchase({ refundable: false, state: 'refunded' }))).toBe('already refunded');
    expect(
      notRefundableReason(purchase({ refundable: false, notRefundableReason: 'the refund window closed' })),
    ).toBe('the refund window closed');
    const list = refundListText([purchase(), purchase({ refundable: false, spentNano: '1000', stars: 250 })]);
    expect(list).toContain('50 ⭐ → 0.5 TON, unspent — refundable until 2026-12-08 10:00 UTC');
    expect(list).toContain('250 ⭐ → 0.5 TON, 0.000001 TON spent — not refundable: part of its credit');
    expect(refundListText([purchase({ state: 'pending' })])).toMatch(/^You have no Stars purchases/);
  });

  it('formats durations in whole units', () => {
    expect(formatDuration(86_400_000)).toBe('1 day');
    expect(formatDuration(3 * 3_600_000)).toBe('3 hours');
    expect(formatDuration(90_000)).toBe('1 minute');
  });
});
