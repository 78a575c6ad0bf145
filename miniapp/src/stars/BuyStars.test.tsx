import type { MeView, StarsInvoice, StarsOffer, StarsPurchaseView } from '@cocoon/shared';
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, expect, it, vi } from 'vitest';
import { useMe } from '../api/hooks';
import { tonText } from '../format';
import { apiError, renderWithClient } from '../testing/render';
import { BuyStars } from './BuyStars';
import { StarsPurchases } from './StarsPurchases';

// Telegram's invoice API, faked: each test says how the sheet closes.
const tg = vi.hoisted(() => {
  const open = Object.assign(
    vi.fn(async (_link: string, _type?: 'url') => 'paid' as string),
    {
      isAvailable: () => true,
    },
  );
  return { open, mocked: false };
});
vi.mock('@telegram-apps/sdk-react', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  invoice: { open: tg.open },
}));
vi.mock('../telegram/environment', () => ({
  isTelegramMocked: () => tg.mocked,
  markTelegramMocked: () => {},
}));

const RATE = 10_000_000n; // 0.01 TON per Star
const offer: StarsOffer = {
  rateNanoPerStar: RATE.toString(),
  packs: [50, 250, 1000].map((stars) => ({ stars, nano: (BigInt(stars) * RATE).toString() })),
  dailyCapStars: 5000,
  refundWindowMs: 7 * 86_400_000,
  earningsHoldMs: 21 * 86_400_000,
};
const me: MeView = {
  telegramId: '7',
  name: 'Sam',
  balanceNano: '0',
  withdrawableNano: '0',
  trialNano: '0',
  heldNano: '0',
  starsNano: '0',
  depositMemo: 'c-7',
  wallet: null,
  pendingWallet: null,
  pendingWalletAt: null,
};
const LINK = 'http://127.0.0.1:8081/invoice/abc123';

function purchase(over: Partial<StarsPurchaseView> = {}): StarsPurchaseView {
  return {
    id: '3f1c9a52-0000-4000-8000-000000000001',
    stars: 250,
    nano: (250n * RATE).toString(),
    rateNanoPerStar: RATE.toString(),
    state: 'pending',
    telegramPaymentChargeId: null,
    createdAt: '2026-12-06T12:00:00Z',
    paidAt: null,
    spentNano: '0',
    refundable: false,
    refundableUntil: null,
    notRefundableReason: 'not paid',
    ...over,
  };
}

/** A proxy where the purchase is credited on the `creditAfter`-th look at the purchases (after the payment). */
function fakeApi(creditAfter = 1) {
  let paid = false;
  let looks = 0;
  const invoice: StarsInvoice = {
    purchaseId: purchase().id,
    payload: 'p-1',
    stars: 250,
    nano: purchase().nano,
    rateNanoPerStar: RATE.toString(),
    title: '250 Stars of Cocoon credit',
    description: '2.5 TON of compute',
    invoiceLink: LINK,
  };
  const credited = () => paid && looks >= creditAfter;
  const client = {
    starsOffer: vi.fn(async () => offer),
    createStarsInvoice: vi.fn(async (_body: { stars: number; link?: boolean }) => invoice),
    starsPurchases: vi.fn(async () => {
      if (paid) looks++;
      return {
        purchases: [credited() ? purchase({ state: 'paid', paidAt: '2026-12-06T12:00:05Z' }) : purchase()],
      };
    }),
    me: vi.fn(async () => ({ ...me, starsNano: credited() ? invoice.nano : '0' })),
  };
  return { client, invoice, pay: () => (paid = true) };
}

/** The page around the card: the balance the purchase should refresh, and the purchases list. */
function Wallet() {
  const m = useMe();
  return (
    <>
      <p data-testid="probe-stars">{m.data ? tonText(m.data.starsNano) : ''}</p>
      <BuyStars me={m.data} />
      <StarsPurchases />
    </>
  );
}

afterEach(() => {
  cleanup();
  tg.mocked = false;
  vi.unstubAllGlobals();
  vi.clearAllMocks();
});

it('shows the rate and what each pack buys before buying', async () => {
  const api = fakeApi();
  renderWithClient(<Wallet />, api.client);
  expect((await screen.findByTestId('stars-rate')).textContent).toBe('1 ⭐ buys 0.01 TON of compute');
  expect(screen.getByTestId('stars-pack-50').textContent).toBe('50 ⭐0.5 TON');
  expect(screen.getByTestId('stars-pack-1000').textContent).toBe('1000 ⭐10 TON');
  expect(screen.getByTestId('buy-stars').textContent).toContain('refunded within 7 days');
  expect(api.client.createStarsInvoice).not.toHaveBeenCalled();
});

it("opens the invoice link with Telegram's invoice API, then shows the credit once the proxy has it", async () => {
  const api = fakeApi(2);
  tg.open.mockImplementation(async () => {
    api.pay();
    return 'paid';
  });
  renderWithClient(<Wallet />, api.client);
  fireEvent.click(await screen.findByTestId('stars-pack-250'));
  await waitFor(() => expect(screen.getByTestId('stars-status').dataset.state).toBe('crediting'));
  expect(api.client.createStarsInvoice).toHaveBeenCalledWith({ stars: 250, link: true });
  expect(tg.open).toHaveBeenCalledWith(LINK, 'url');
  // Polled until credited: the status, the balance and the purchases list all show it.
  await waitFor(() => expect(screen.getByTestId('stars-status').dataset.state).toBe('credited'), {
    timeout: 5_000,
  });
  expect(screen.getByTestId('stars-status').textContent).toBe('Paid: 2.5 TON of Stars credit added.');
  await waitFor(() => expect(screen.getByTestId('probe-stars').textContent).toBe('2.5 TON'));
  await waitFor(() => expect(screen.getAllByTestId('stars-purchase')).toHaveLength(1));
});

it('says so when the sheet was closed without paying, or the payment failed, and waits for no credit', async () => {
  const api = fakeApi();
  tg.open.mockResolvedValueOnce('cancelled').mockResolvedValueOnce('failed');
  renderWithClient(<Wallet />, api.client);
  fireEvent.click(await screen.findByTestId('stars-pack-50'));
  expect((await screen.findByTestId('stars-status')).textContent).toBe('Cancelled: nothing was charged.');
  fireEvent.click(screen.getByTestId('stars-pack-50'));
  await waitFor(() => expect(screen.getByTestId('stars-status').dataset.state).toBe('failed'));
  expect(screen.getByTestId('stars-status').textContent).toBe(
    'Payment failed: Telegram refused the payment.',
  );
  // The list's own load only: no polling for a credit that isn't coming.
  expect(api.client.starsPurchases).toHaveBeenCalledTimes(1);
  // No purchase is listed for an invoice never paid.
  expect(screen.getByTestId('stars-purchases').textContent).toContain('No Stars purchases yet.');
});

it("shows the proxy's refusal to make an invoice (the daily cap), and opens nothing", async () => {
  const api = fakeApi();
  api.client.createStarsInvoice.mockRejectedValueOnce(
    apiError(429, 'stars_daily_cap', 'at most 5000 Stars a day: 4900 left today'),
  );
  renderWithClient(<Wallet />, api.client);
  fireEvent.click(await screen.findByTestId('stars-pack-1000'));
  expect((await screen.findByTestId('stars-error')).textContent).toContain('4900 left today');
  expect(tg.open).not.toHaveBeenCalled();
});

it("in local mode pays in the emulator's payment sheet as the local user", async () => {
  tg.mocked = true;
  const api = fakeApi();
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    if (url === LINK && !init?.method)
      return Response.json({
        slug: 'abc123',
        title: 'Cocoon credit',
        description: '2.5 TON',
        currency: 'XTR',
        totalAmount: 250,
      });
    if (url === `${LINK}/pay` && init?.method === 'POST') {
      api.pay();
      return Response.json({ status: 'paid', telegramPaymentChargeId: 'ch-1' });
    }
    return Response.json({ error: 'unknown' }, { status: 404 });
  });
  vi.stubGlobal('fetch', fetch);
  renderWithClient(<Wallet />, api.client);
  await screen.findByTestId('probe-stars');
  await waitFor(() => expect(screen.getByTestId('probe-stars').textContent).toBe('0 TON'));
  fireEvent.click(await screen.findByTestId('stars-pack-250'));
  const sheet = await screen.findByTestId('emulator-payment-sheet');
  const pay = screen.getByTestId('sheet-pay');
  await waitFor(() => expect(pay.textContent).toBe('Pay 250 ⭐'));
  expect(sheet.textContent).toContain('Cocoon credit');
  fireEvent.click(pay);
  await waitFor(() => expect(screen.getByTestId('stars-status').dataset.state).toBe('credited'), {
    timeout: 5_000,
  });
  expect(screen.queryByTestId('emulator-payment-sheet')).toBeNull();
  expect(JSON.parse(String(fetch.mock.calls.find(([u]) => u === `${LINK}/pay`)?.[1]?.body))).toEqual({
    userId: 7,
  });
  expect(tg.open).not.toHaveBeenCalled();
});

it("in local mode reports the emulator's refusal, and a sheet closed without paying", async () => {
  tg.mocked = true;
  const api = fakeApi();
  vi.stubGlobal(
    'fetch',
    vi.fn(async (_url: string, init?: RequestInit) =>
      init?.method === 'POST'
        ? Response.json({ status: 'failed', reason: 'not enough Stars: 250 needed, 10 held' })
        : Response.json({
            slug: 'abc123',
            title: 'Cocoon credit',
            description: '',
            currency: 'XTR',
            totalAmount: 250,
          }),
    ),
  );
  renderWithClient(<Wallet />, api.client);
  fireEvent.click(await screen.findByTestId('stars-pack-250'));
  await screen.findByTestId('emulator-payment-sheet');
  fireEvent.click(screen.getByTestId('sheet-cancel'));
  expect((await screen.findByTestId('stars-status')).dataset.state).toBe('cancelled');
  expect(screen.queryByTestId('emulator-payment-sheet')).toBeNull();

  fireEvent.click(screen.getByTestId('stars-pack-250'));
  await screen.findByTestId('emulator-payment-sheet');
  await waitFor(() => expect(screen.getByTestId('sheet-pay').textContent).toBe('Pay 250 ⭐'));
  fireEvent.click(screen.getByTestId('sheet-pay'));
  await waitFor(() => expect(screen.getByTestId('stars-status').dataset.state).toBe('failed'));
  expect(screen.getByTestId('stars-status').textContent).toBe(
    'Payment failed: not enough Stars: 250 needed, 10 held',
  );
});
