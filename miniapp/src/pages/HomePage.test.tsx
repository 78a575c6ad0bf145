import { cleanup, screen } from '@testing-library/react';
import { afterEach, expect, it } from 'vitest';
import { apiError, renderWithClient } from '../test/render';
import { HomePage, trialCreditNano } from './HomePage';

afterEach(cleanup);

const me = {
  telegramId: '1',
  name: 'Ada',
  balanceNano: '12345000000',
  heldNano: '500000000',
  depositMemo: 'c-1',
  wallet: null,
};

it('shows the balance in TON, the held amount and the trial credit', async () => {
  renderWithClient(<HomePage />, {
    me: async () => me,
    ledger: async () => ({
      entries: [
        {
          txId: 't1',
          kind: 'trial_grant',
          amountNano: '1000000000',
          memo: null,
          createdAt: '2025-01-01T00:00:00Z',
        },
        { txId: 't2', kind: 'job_charge', amountNano: '-5', memo: null, createdAt: '2025-01-01T00:00:00Z' },
      ],
    }),
  });
  expect(await screen.findByText('12.345 TON')).toBeTruthy();
  expect(screen.getByTestId('balance').textContent).toContain('12.345 TON');
  expect(screen.getByTestId('held').textContent).toContain('0.5 TON');
  expect((await screen.findByTestId('trial-credit')).textContent).toContain('Trial credit: 1 TON');
  expect(screen.getByText('Hi, Ada')).toBeTruthy();
});

it('explains an expired session instead of showing a balance', async () => {
  renderWithClient(<HomePage />, {
    me: async () => {
      throw apiError(401, 'unauthorized', 'bad initData');
    },
    ledger: async () => ({ entries: [] }),
  });
  expect((await screen.findByTestId('balance-error')).textContent).toContain('Not signed in');
  expect(screen.queryByTestId('balance')).toBeNull();
});

it('sums only trial grants', () => {
  expect(trialCreditNano([])).toBeNull();
  expect(
    trialCreditNano([
      { txId: 'a', kind: 'trial', amountNano: '3', memo: null, createdAt: '' },
      { txId: 'b', kind: 'deposit', amountNano: '7', memo: null, createdAt: '' },
    ]),
  ).toBe(3n);
});
