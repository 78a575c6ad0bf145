import type { MarketView } from '@cocoon/shared';
import { cleanup, screen, within } from '@testing-library/react';
import { afterEach, expect, it } from 'vitest';
import { renderWithClient } from '../testing/render';
import { MarketPage } from './MarketPage';

afterEach(cleanup);

type Ask = MarketView['models'][number]['asks'][number];
const standing = { operator: 0, probation: 0, bonded: 1, capped: 0, quarantined: 0 };
const ask = (tier: Ask['tier'], priceNanoPer1k: string, rigs = 1): Ask => ({
  tier,
  priceNanoPer1k,
  rigs,
  freeSlots: 2 * rigs,
  standing,
});

function board(model: string, asks: Ask[]): MarketView['models'][number] {
  return { model, demoGrade: false, digest: null, asks, recentFills: [], median24hNanoPer1k: null };
}

it('splits each ask ladder by trust tier and says when a model has no confidential asks', async () => {
  const market = async (): Promise<MarketView> => ({
    feeBps: 50,
    models: [
      board('demo-gen', [ask('open', '1000000', 2), ask('open', '3000000'), ask('tdx', '5000000')]),
      board('textrank-summarizer', [ask('open', '2000000')]),
      board('idle-model', []),
    ],
  });
  renderWithClient(<MarketPage />, { market });

  const gen = await screen.findByTestId('market-model-demo-gen');
  const open = within(gen).getByTestId('asks-open');
  const tdx = within(gen).getByTestId('asks-tdx');
  expect(open.textContent).toContain('Open tier');
  expect(tdx.textContent).toContain('Confidential tier · TDX');
  expect(within(open).getAllByRole('row')).toHaveLength(3); // header + two asks
  expect(open.textContent).toContain('0.001');
  expect(open.textContent).toContain('0.003');
  expect(open.textContent).not.toContain('0.005');
  expect(within(tdx).getAllByRole('row')).toHaveLength(2);
  expect(tdx.textContent).toContain('0.005');
  expect(within(gen).queryByTestId('no-asks-tdx')).toBeNull();

  const sum = screen.getByTestId('market-model-textrank-summarizer');
  expect(within(sum).getByTestId('no-asks-tdx').textContent).toContain('No confidential (TDX) rig');
  expect(within(sum).getByTestId('asks-open').textContent).toContain('0.002');

  const idle = screen.getByTestId('market-model-idle-model');
  expect(idle.textContent).toContain('No rig is offering this model right now.');
  expect(within(idle).queryByTestId('asks-tdx')).toBeNull();
});

it("shows each rig's measured speed, and 'new' for a rig not measured yet", async () => {
  const market = async (): Promise<MarketView> => ({
    feeBps: 50,
    models: [
      {
        ...board('demo-gen', [ask('open', '1000000', 2)]),
        rigs: [
          {
            tier: 'open',
            priceNanoPer1k: '1000000',
            device: 'cuda',
            speed: { firstTokenMs: 420, tokensPerS: 12.5, jobs: 8 },
          },
          {
            tier: 'open',
            priceNanoPer1k: '1000000',
            device: 'cpu',
            speed: { firstTokenMs: null, tokensPerS: null, jobs: 0 },
          },
        ],
      },
    ],
  });
  renderWithClient(<MarketPage />, { market });
  const rows = await screen.findAllByTestId('rig-speed');
  expect(rows).toHaveLength(2);
  expect(rows[0].textContent).toContain('0.42 s');
  expect(rows[0].textContent).toContain('12.5 tok/s');
  expect(rows[0].textContent).toContain('8');
  expect(rows[1].textContent).toContain('—');
  expect(rows[1].textContent).toContain('new');
});
