import type { StarsPurchaseView } from '@cocoon/shared';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, expect, it, vi } from 'vitest';
import { apiError, renderWithClient } from '../testing/render';
import { StarsPurchases } from './StarsPurchases';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const RATE = '10000000';
let n = 0;
function purchase(over: Partial<StarsPurchaseView>): StarsPurchaseView {
  n++;
  return {
    id: `3f1c9a52-0000-4000-8000-${String(n).padStart(12, '0')}`,
    stars: 50,
    nano: '500000000',
    rateNanoPerStar: RATE,
    state: 'paid',
    telegramPaymentChargeId: `ch-${n}`,
    createdAt: '2026-12-06T12:00:00Z',
    paidAt: '2026-12-06T12:00:05Z',
    spentNano: '0',
    refundable: false,
    refundableUntil: null,
    notRefundableReason: null,
    ...over,
  };
}

function fakeApi() {
  let purchases = [
    purchase({ refundable: true, refundableUntil: '2026-12-13T12:00:05Z' }),
    purchase({
      stars: 250,
      nano: '2500000000',
      spentNano: '100000000',
      notRefundableReason: '0.1 TON of its credit was spent (Telegram refunds a whole charge)',
    }),
    purchase({ state: 'refunded', notRefundableReason: 'refunded already' }),
    purchase({
      state: 'pending',
      paidAt: null,
      telegramPaymentChargeId: null,
      notRefundableReason: 'not paid',
    }),
  ];
  const client = {
    starsPurchases: vi.fn(async () => ({ purchases })),
    refundStarsPurchase: vi.fn(async (id: string) => {
      purchases = purchases.map((p) =>
        p.id === id
          ? { ...p, state: 'refunded' as const, refundable: false, notRefundableReason: 'refunded already' }
          : p,
      );
      return { purchase: purchases.find((p) => p.id === id)! };
    }),
  };
  return { client, first: purchases[0] };
}

it('lists paid purchases with what they bought and spent; Refund on the refundable one, the reason on the others', async () => {
  const api = fakeApi();
  renderWithClient(<StarsPurchases />, api.client);
  const rows = await screen.findAllByTestId('stars-purchase');
  // The invoice never paid is not a purchase to the user.
  expect(rows.map((r) => r.dataset.state)).toEqual(['paid', 'paid', 'refunded']);
  expect(rows[0].textContent).toContain('50 ⭐ · 0.5 TON');
  expect(rows[0].textContent).toContain('1 ⭐ = 0.01 TON');
  expect(within(rows[0]).getByTestId('stars-refund').textContent).toMatch(/^Refund \(until /);
  expect(within(rows[1]).queryByTestId('stars-refund')).toBeNull();
  expect(within(rows[1]).getByTestId('stars-spent').textContent).toBe('spent 0.1 TON');
  expect(within(rows[1]).getByTestId('stars-not-refundable').textContent).toBe(
    'No refund: 0.1 TON of its credit was spent (Telegram refunds a whole charge)',
  );
  expect(within(rows[2]).getByTestId('stars-not-refundable').textContent).toBe('No refund: refunded already');
});

it('refunds a purchase only once the user confirms, then shows it refunded', async () => {
  const api = fakeApi();
  const confirm = vi.spyOn(window, 'confirm').mockReturnValueOnce(false).mockReturnValueOnce(true);
  renderWithClient(<StarsPurchases />, api.client);
  const refund = await screen.findByTestId('stars-refund');
  fireEvent.click(refund);
  expect(confirm).toHaveBeenCalledWith(
    'Refund 50 ⭐? Telegram returns the Stars, and 0.5 TON of credit leaves.',
  );
  expect(api.client.refundStarsPurchase).not.toHaveBeenCalled();
  fireEvent.click(refund);
  await waitFor(() => expect(api.client.refundStarsPurchase).toHaveBeenCalledWith(api.first.id));
  await waitFor(() =>
    expect(screen.getAllByTestId('stars-purchase').map((r) => r.dataset.state)).toEqual([
      'refunded',
      'paid',
      'refunded',
    ]),
  );
  expect(screen.queryByTestId('stars-refund')).toBeNull();
});

it("shows the proxy's refusal of a refund", async () => {
  const api = fakeApi();
  vi.spyOn(window, 'confirm').mockReturnValue(true);
  api.client.refundStarsPurchase.mockRejectedValueOnce(
    apiError(409, 'stars_spent', 'part of its credit was spent since: Telegram refunds a whole charge'),
  );
  renderWithClient(<StarsPurchases />, api.client);
  fireEvent.click(await screen.findByTestId('stars-refund'));
  expect((await screen.findByTestId('stars-refund-error')).textContent).toContain(
    'Telegram refunds a whole charge',
  );
});

it('says when there are none', async () => {
  renderWithClient(<StarsPurchases />, { starsPurchases: async () => ({ purchases: [] }) });
  expect((await screen.findByTestId('empty')).textContent).toBe('No Stars purchases yet.');
});
