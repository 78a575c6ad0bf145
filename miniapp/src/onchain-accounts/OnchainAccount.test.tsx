import type { MeView, OnchainAccountView, OnchainConfig } from '@cocoon/shared';
import { ed25519 } from '@noble/curves/ed25519.js';
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { Address, beginCell, Cell } from '@ton/core';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { apiError, renderWithClient } from '../testing/render';
import { BalanceKind } from './BalanceKind';
import { OnchainAccountSection } from './OnchainAccount';
import { RigPayoutSection } from './RigPayout';
import { createSpendSeed, initDataUserId, loadSpendSeed, localVoucherStore } from './spend-key';

const tc = vi.hoisted(() => ({
  wallet: { account: { address: '0:abc' } } as Record<string, unknown> | null,
  sendTransaction: vi.fn(async (_tx: unknown) => ({ boc: 'te6' })),
  openModal: vi.fn(async () => {}),
}));
vi.mock('@tonconnect/ui-react', () => ({
  THEME: { DARK: 'DARK', LIGHT: 'LIGHT' },
  TonConnectUIProvider: ({ children }: { children: ReactNode }) => children,
  TonConnectButton: () => null,
  useTonConnectUI: () => [{ sendTransaction: tc.sendTransaction, openModal: tc.openModal }, vi.fn()],
  useTonWallet: () => tc.wallet,
}));

const TON = 1_000_000_000n;
const ACCOUNT = Address.parse('0:' + '11'.repeat(32)).toString();
const RIG_ACCOUNT = Address.parse('0:' + '22'.repeat(32)).toString();
const WALLET = Address.parse('0:' + '33'.repeat(32)).toString();
const STATE_INIT = beginCell().storeUint(7, 8).endCell().toBoc().toString('base64');
const DEPOSIT = beginCell().storeUint(0x6465706f, 32).storeUint(1, 64).endCell().toBoc().toString('base64');

const me: MeView = {
  telegramId: '7',
  name: 'Wanda',
  balanceNano: (TON / 2n).toString(),
  withdrawableNano: (3n * TON).toString(),
  trialNano: '0',
  heldNano: '0',
  depositMemo: 'c-7',
  wallet: WALLET,
  pendingWallet: null,
  pendingWalletAt: null,
};
const config: OnchainConfig = {
  enabled: true,
  vault: ACCOUNT,
  closeDelayS: 3600,
  claimThresholdNano: TON.toString(),
  feeBps: 1000,
  operatorKey: 'ab'.repeat(32),
};
function view(
  over: Partial<OnchainAccountView> = {},
  account: Partial<NonNullable<OnchainAccountView['account']>> = {},
): OnchainAccountView {
  return {
    wallet: WALLET,
    account: {
      address: ACCOUNT,
      stateInit: STATE_INIT,
      depositPayload: DEPOSIT,
      deployed: false,
      spendKey: null,
      deposited: '0',
      claimed: '0',
      withdrawn: '0',
      available: '0',
      closeRequestedAt: null,
      ...account,
    },
    registered: false,
    mirrorNano: '0',
    voucheredNano: '0',
    voucherSeq: '0',
    voucherDue: null,
    rigAccount: RIG_ACCOUNT,
    payout: null,
    ...over,
  };
}
const registered = (
  account: Partial<NonNullable<OnchainAccountView['account']>> = {},
  over: Partial<OnchainAccountView> = {},
) =>
  view(
    { registered: true, mirrorNano: '1500000000', voucheredNano: '440000000', voucherSeq: '3', ...over },
    {
      deployed: true,
      spendKey: 'cd'.repeat(32),
      deposited: '1940000000',
      claimed: '400000000',
      available: '1540000000',
      ...account,
    },
  );

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
type SentTx = { messages: Array<{ address: string; amount: string; payload?: string; stateInit?: string }> };
const sent = (i = 0) => tc.sendTransaction.mock.calls[i][0] as SentTx;

beforeEach(() => {
  localStorage.clear();
  tc.wallet = { account: { address: '0:abc' } };
  tc.sendTransaction.mockClear();
  tc.openModal.mockClear();
});
afterEach(cleanup);

describe('which balance', () => {
  it('says the balance is custodial when the user has no on-chain account', async () => {
    renderWithClient(<BalanceKind me={me} />, {
      onchainConfig: async () => config,
      onchainAccount: async () => view(),
    });
    await waitFor(() =>
      expect(screen.getByTestId('balance-kind-custodial').textContent).toMatch(
        /held by the Cocoon operator.*open an on-chain account/,
      ),
    );
    expect(screen.queryByTestId('onchain-mirror')).toBeNull();
  });

  it('shows the on-chain account apart: spendable on jobs, available on chain, signed for so far', async () => {
    renderWithClient(<BalanceKind me={me} />, {
      onchainConfig: async () => config,
      onchainAccount: async () => registered(),
    });
    await waitFor(() => expect(screen.getByTestId('onchain-mirror').textContent).toContain('1.5 TON'));
    expect(screen.getByTestId('onchain-available').textContent).toContain('1.54 TON');
    expect(screen.getByTestId('onchain-vouchered').textContent).toContain('0.44 TON');
    expect(screen.getByTestId('balance-kind-onchain').textContent).toContain('only against your spend key');
    expect(screen.getByTestId('balance-kind-custodial').textContent).toContain('0.5 TON');
  });

  it('asks nothing about accounts on a network without them', async () => {
    const onchainAccount = vi.fn();
    renderWithClient(<BalanceKind me={me} />, {
      onchainConfig: async () => ({ ...config, enabled: false, vault: null }),
      onchainAccount,
    });
    await waitFor(() =>
      expect(screen.getByTestId('balance-kind-custodial').textContent).not.toContain('on-chain'),
    );
    expect(onchainAccount).not.toHaveBeenCalled();
  });
});

describe('opening an on-chain account', () => {
  it('asks for a bound wallet first', async () => {
    renderWithClient(<OnchainAccountSection />, {
      me: async () => ({ ...me, wallet: null }),
      onchainConfig: async () => config,
      onchainAccount: async () => view({ wallet: null, account: null, rigAccount: null }),
    });
    await screen.findByTestId('onchain-needs-wallet');
  });

  it('makes a spend key here, sends deposit + set_spend_key in one transaction, then registers (retrying while the chain lags)', async () => {
    const registerOnchain = vi
      .fn()
      .mockRejectedValueOnce(apiError(409, 'not_deployed', 'the account is not on chain yet'))
      .mockResolvedValueOnce(registered());
    renderWithClient(<OnchainAccountSection />, {
      me: async () => me,
      onchainConfig: async () => config,
      onchainAccount: async () => view(),
      registerOnchain,
    });
    const submit = await screen.findByTestId('onchain-open-submit');
    expect(submit.textContent).toBe('Open on-chain account with 1 TON');
    fireEvent.change(screen.getByTestId('onchain-amount'), { target: { value: '2.5' } });
    fireEvent.click(submit);
    await waitFor(() => expect(registerOnchain).toHaveBeenCalledTimes(2), { timeout: 4_000 });
    await screen.findByTestId('onchain-sent');

    const seed = loadSpendSeed('7');
    expect(seed).toHaveLength(32);
    const [deposit, key] = sent().messages;
    expect(deposit).toEqual({
      address: ACCOUNT,
      amount: 2_500_000_000n.toString(),
      payload: DEPOSIT,
      stateInit: STATE_INIT,
    });
    expect(key.address).toBe(ACCOUNT);
    expect(key.amount).toBe('50000000');
    const body = Cell.fromBase64(key.payload!).beginParse();
    expect(body.loadUint(32)).toBe(0x6b657973);
    body.loadUint(64);
    expect(hex(body.loadBuffer(32))).toBe(hex(ed25519.getPublicKey(seed!)));
    expect([body.loadCoins(), body.loadUint(32)]).toEqual([0n, 0]);
  });

  it('shows the error when the wallet declines, and sends nothing to the proxy', async () => {
    tc.sendTransaction.mockRejectedValueOnce(new Error('User rejected the transaction'));
    const registerOnchain = vi.fn();
    renderWithClient(<OnchainAccountSection />, {
      me: async () => me,
      onchainConfig: async () => config,
      onchainAccount: async () => view(),
      registerOnchain,
    });
    fireEvent.click(await screen.findByTestId('onchain-open-submit'));
    expect((await screen.findByTestId('onchain-step-error')).textContent).toContain('User rejected');
    expect(registerOnchain).not.toHaveBeenCalled();
  });
});

describe('a registered account', () => {
  it('on the device that holds the key: signs, deposits more (deposit only), and shows the figures', async () => {
    createSpendSeed('7');
    renderWithClient(<OnchainAccountSection />, {
      me: async () => me,
      onchainConfig: async () => config,
      onchainAccount: async () => registered(),
    });
    await screen.findByTestId('onchain-device-signs');
    expect(screen.getByTestId('onchain-account-vouchered').textContent).toContain('0.44 TON');
    expect(screen.getByTestId('onchain-account-available').textContent).toContain('1.54 TON');
    fireEvent.click(screen.getByTestId('onchain-deposit-submit'));
    await screen.findByTestId('onchain-sent');
    // Deployed already: no StateInit.
    expect(sent().messages).toEqual([{ address: ACCOUNT, amount: TON.toString(), payload: DEPOSIT }]);
  });

  it('on another device: says it can’t sign, and authorizes a new key (effective after the close delay)', async () => {
    renderWithClient(<OnchainAccountSection />, {
      me: async () => me,
      onchainConfig: async () => config,
      onchainAccount: async () => registered(),
    });
    const noKey = await screen.findByTestId('onchain-no-key');
    expect(noKey.textContent).toContain(
      'This device can’t sign: open the account on the device that made it',
    );
    expect(noKey.textContent).toContain('only 1 hour after your wallet sends it');
    fireEvent.click(screen.getByTestId('onchain-new-key'));
    expect((await screen.findByTestId('onchain-sent')).textContent).toContain(
      'switches to it 1 hour from now',
    );
    const seed = loadSpendSeed('7')!;
    const body = Cell.fromBase64(sent().messages[0].payload!).beginParse();
    expect(body.loadUint(32)).toBe(0x6b657973);
    body.loadUint(64);
    expect(hex(body.loadBuffer(32))).toBe(hex(ed25519.getPublicKey(seed)));
  });

  it('starts the exit with `close`, and shows when `withdraw` becomes possible', async () => {
    createSpendSeed('7');
    renderWithClient(<OnchainAccountSection />, {
      me: async () => me,
      onchainConfig: async () => config,
      onchainAccount: async () => registered(),
    });
    expect((await screen.findByTestId('onchain-exit-instructions')).textContent).toContain(ACCOUNT);
    expect(screen.getByTestId('onchain-exit-instructions').textContent).toContain('npm run exit');
    expect((screen.getByTestId('onchain-withdraw') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByTestId('onchain-close'));
    await screen.findByTestId('onchain-sent');
    const msg = sent().messages[0];
    expect([msg.address, msg.amount]).toEqual([ACCOUNT, '50000000']);
    const body = Cell.fromBase64(msg.payload!).beginParse();
    expect([body.loadUint(32), body.loadStringTail()]).toEqual([0, 'close']);
  });

  it('while closing: withdraw waits for close + delay; after it, sends `withdraw`', async () => {
    createSpendSeed('7');
    const closedAt = new Date(Date.now() - 600_000).toISOString();
    const { unmount } = renderWithClient(<OnchainAccountSection />, {
      me: async () => me,
      onchainConfig: async () => config,
      onchainAccount: async () => registered({ closeRequestedAt: closedAt }),
    });
    const at = await screen.findByTestId('onchain-withdraw-at');
    expect(at.textContent).toMatch(/^Withdraw possible at /);
    expect(at.getAttribute('data-at')).toBe(new Date(Date.parse(closedAt) + 3600_000).toISOString());
    expect((screen.getByTestId('onchain-withdraw') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('onchain-close') as HTMLButtonElement).disabled).toBe(true);
    unmount();

    renderWithClient(<OnchainAccountSection />, {
      me: async () => me,
      onchainConfig: async () => config,
      onchainAccount: async () =>
        registered({ closeRequestedAt: new Date(Date.now() - 7200_000).toISOString() }),
    });
    const withdraw = await screen.findByTestId('onchain-withdraw');
    await waitFor(() => expect((withdraw as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(withdraw);
    await screen.findByTestId('onchain-sent');
    const body = Cell.fromBase64(sent().messages[0].payload!).beginParse();
    expect([body.loadUint(32), body.loadStringTail()]).toEqual([0, 'withdraw']);
  });
});

describe('rig owner paid on chain', () => {
  it('has the operator sign the payout, then sends its claim to the rig account with 0.1 TON', async () => {
    const payload = beginCell().storeUint(0x6561726e, 32).endCell().toBoc().toString('base64');
    const onchainPayout = vi.fn(async (_amount: bigint) =>
      view({
        payout: {
          amountNano: (2n * TON).toString(),
          seq: '1',
          signature: 'c2ln',
          payload,
          stateInit: STATE_INIT,
        },
      }),
    );
    renderWithClient(<RigPayoutSection />, {
      me: async () => me,
      onchainConfig: async () => config,
      onchainAccount: async () => view(),
      onchainPayout,
    });
    const amount = await screen.findByTestId('rig-payout-amount');
    fireEvent.change(amount, { target: { value: '5' } });
    expect(screen.getByTestId('rig-payout-hint').textContent).toContain('At most 3 TON');
    fireEvent.change(amount, { target: { value: '2' } });
    fireEvent.click(screen.getByTestId('rig-payout-submit'));
    await screen.findByTestId('rig-payout-sent');
    expect(onchainPayout).toHaveBeenCalledWith(2n * TON);
    expect(sent().messages).toEqual([
      { address: RIG_ACCOUNT, amount: (TON / 10n).toString(), payload, stateInit: STATE_INIT },
    ]);
  });
});

describe('the spend key on this device', () => {
  it('keeps the seed per Telegram user, and the last voucher as strings; a new key forgets the old record', () => {
    expect(loadSpendSeed('7')).toBeNull();
    const seed = createSpendSeed('7');
    expect(loadSpendSeed('7')).toEqual(seed);
    expect(loadSpendSeed('8')).toBeNull();
    const store = localVoucherStore('7');
    expect(store.get()).toBeNull();
    store.set({ amountNano: 123n, seq: 4n });
    expect(localStorage.getItem('cocoon.voucher.7')).toBe('{"amountNano":"123","seq":"4"}');
    expect(store.get()).toEqual({ amountNano: 123n, seq: 4n });
    createSpendSeed('7');
    expect(store.get()).toBeNull();
  });

  it('reads the user id from initData', () => {
    const initData = new URLSearchParams({
      user: JSON.stringify({ id: 42, first_name: 'A' }),
      hash: 'x',
    }).toString();
    expect(initDataUserId(initData)).toBe('42');
    expect(initDataUserId('hash=x')).toBeNull();
  });
});
