import type { MeView } from '@cocoon/shared';
import { cleanup, screen } from '@testing-library/react';
import { afterEach, expect, it } from 'vitest';
import { apiError, renderWithClient } from '../testing/render';
import { HomePage } from './HomePage';

afterEach(cleanup);

const me: MeView = {
  telegramId: '1',
  name: 'Ada',
  balanceNano: '12345000000',
  withdrawableNano: '11845000000',
  trialNano: '500000000',
  heldNano: '250000000',
  depositMemo: 'c-1',
  wallet: null,
  pendingWallet: null,
  pendingWalletAt: null,
};

it('shows the spendable balance, and apart from it what is withdrawable and what is trial credit', async () => {
  renderWithClient(<HomePage />, { me: async () => me });
  expect(await screen.findByText('12.345 TON')).toBeTruthy();
  expect(screen.getByTestId('balance').textContent).toContain('12.345 TON');
  expect(screen.getByTestId('withdrawable').textContent).toBe('Withdrawable: 11.845 TON');
  expect(screen.getByTestId('trial-credit').textContent).toBe('Trial credit: 0.5 TON · jobs only');
  expect(screen.getByTestId('held').textContent).toContain('0.25 TON');
  expect(screen.getByText('Hi, Ada')).toBeTruthy();
});

it('takes the trial credit from /v1/me, not from the ledger, and hides it when there is none', async () => {
  // A user whose trial credit is spent: the ledger still has the grant, but nothing of it is left.
  const ledger = async () => ({
    entries: [
      {
        txId: 't1',
        kind: 'trial_grant',
        trial: true,
        amountNano: '500000000',
        memo: null,
        createdAt: '2025-01-01T00:00:00Z',
      },
    ],
  });
  renderWithClient(<HomePage />, {
    me: async () => ({ ...me, balanceNano: '2000000000', withdrawableNano: '2000000000', trialNano: '0' }),
    ledger,
  });
  expect((await screen.findByTestId('withdrawable')).textContent).toBe('Withdrawable: 2 TON');
  expect(screen.queryByTestId('trial-credit')).toBeNull();
});

it('shows a new user trial credit only, with nothing withdrawable', async () => {
  renderWithClient(<HomePage />, {
    me: async () => ({ ...me, balanceNano: '500000000', withdrawableNano: '0', trialNano: '500000000' }),
  });
  expect((await screen.findByTestId('withdrawable')).textContent).toBe('Withdrawable: 0 TON');
  expect(screen.getByTestId('balance').textContent).toBe('0.5 TON');
  expect(screen.getByTestId('withdrawable').textContent).toBe('Withdrawable: 0 TON');
  expect(screen.getByTestId('trial-credit').textContent).toBe('Trial credit: 0.5 TON · jobs only');
});

it('explains an expired session instead of showing a balance', async () => {
  renderWithClient(<HomePage />, {
    me: async () => {
      throw apiError(401, 'unauthorized', 'bad initData');
    },
  });
  expect((await screen.findByTestId('balance-error')).textContent).toContain('Not signed in');
  expect(screen.queryByTestId('balance')).toBeNull();
});

it('shows Stars credit apart, and what a reversed Stars payment still owes', async () => {
  renderWithClient(<HomePage />, {
    me: async () => ({ ...me, starsNano: '2500000000', receivableNano: '300000000' }),
  });
  expect((await screen.findByTestId('stars-credit')).textContent).toBe('Stars credit: 2.5 TON · jobs only');
  expect(screen.getByTestId('stars-receivable').textContent).toMatch(/^0\.3 TON owed .* new jobs wait/);
  // It pays for jobs, so the headline (what jobs can spend) counts it: 12.345 + 2.5.
  expect(screen.getByTestId('balance').textContent).toBe('14.845 TON');
});

it('shows no Stars lines to a user who never bought any', async () => {
  renderWithClient(<HomePage />, { me: async () => me });
  await screen.findByTestId('withdrawable');
  expect(screen.queryByTestId('stars-credit')).toBeNull();
  expect(screen.queryByTestId('stars-receivable')).toBeNull();
});
