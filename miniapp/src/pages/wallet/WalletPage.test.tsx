import { createCocoonClient, type MeView, type TonConfig, type WalletState } from '@cocoon/shared';
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, expect, it, vi } from 'vitest';
import { renderWithClient } from '../../testing/render';
import { WalletPage } from './WalletPage';

// TON Connect UI, faked: a connector whose wallet connects with a ton_proof of the payload it is asked for.
type Listener = (wallet: unknown) => void;
const tc = vi.hoisted(() => {
  const statusListeners = new Set<(w: unknown) => void>();
  const modalListeners = new Set<(s: { status: string; closeReason: string | null }) => void>();
  const ui = {
    wallet: null as null | Record<string, unknown>,
    get connected() {
      return ui.wallet !== null;
    },
    setConnectRequestParameters: vi.fn(),
    onStatusChange(cb: (w: unknown) => void) {
      statusListeners.add(cb);
      return () => statusListeners.delete(cb);
    },
    onModalStateChange(cb: (s: { status: string; closeReason: string | null }) => void) {
      modalListeners.add(cb);
      return () => modalListeners.delete(cb);
    },
    emit(w: Record<string, unknown> | null) {
      ui.wallet = w;
      for (const l of [...statusListeners]) l(w);
    },
    closeModal() {
      for (const l of [...modalListeners]) l({ status: 'closed', closeReason: 'action-cancelled' });
    },
    disconnect: vi.fn(async () => ui.emit(null)),
    openModal: vi.fn(async () => {}),
    connector: {
      connect: vi.fn(),
      onStatusChange: (cb: (w: unknown) => void) => ui.onStatusChange(cb),
    },
  };
  return { ui };
});

vi.mock('@tonconnect/ui-react', async () => {
  const { useSyncExternalStore } = await import('react');
  return {
    THEME: { DARK: 'DARK', LIGHT: 'LIGHT' },
    TonConnectUIProvider: ({ children }: { children: ReactNode }) => children,
    TonConnectButton: () => null,
    useTonConnectUI: () => [tc.ui, vi.fn()],
    useTonWallet: () =>
      useSyncExternalStore(
        (cb) => tc.ui.onStatusChange(cb as Listener),
        () => tc.ui.wallet,
      ),
  };
});

const TON = 1_000_000_000n;
const BOUND = 'EQBoundWallet000000000000000000000000000000000000';
const OTHER = 'EQNewWallet00000000000000000000000000000000000000';

const me: MeView = {
  telegramId: '7',
  name: 'Wanda',
  balanceNano: (20n * TON + TON / 2n).toString(),
  withdrawableNano: (20n * TON).toString(),
  trialNano: (TON / 2n).toString(),
  heldNano: '0',
  depositMemo: 'c-7',
  wallet: BOUND,
  pendingWallet: null,
  pendingWalletAt: null,
};

const config: TonConfig = {
  network: 'sandbox',
  serviceAddress: 'EQservice',
  minWithdrawalNano: (TON / 10n).toString(),
  withdrawalFeeNano: (TON / 100n).toString(),
  withdrawalProofAboveNano: (10n * TON).toString(),
  walletChangeDelayS: 86_400,
};

function sandboxWallet(proofPayload?: string) {
  return {
    account: { address: '0:ab', chain: '-3', publicKey: 'pk', walletStateInit: 'si' },
    device: { appName: 'cocoon-sandbox' },
    connectItems: proofPayload
      ? {
          tonProof: {
            proof: {
              timestamp: 1,
              domain: { lengthBytes: 9, value: '127.0.0.1' },
              payload: proofPayload,
              signature: 'sig',
            },
          },
        }
      : undefined,
  };
}

function fakeApi(opts: { me?: MeView; wallet?: WalletState } = {}) {
  let wallet: WalletState = opts.wallet ?? { wallet: BOUND, pendingWallet: null, pendingWalletAt: null };
  // Payloads are single-use on the proxy, and unique across tests here too.
  const run = crypto.randomUUID().slice(0, 8);
  const payload = (n: number) => `${run}-payload-${n}`;
  let payloads = 0;
  const request = vi.fn(async (method: string, path: string, _body?: unknown): Promise<unknown> => {
    switch (`${method} ${path}`) {
      case 'GET /v1/ton/config':
        return config;
      case 'GET /v1/me/wallet':
        return wallet;
      case 'DELETE /v1/me/wallet/pending':
        wallet = { ...wallet, pendingWallet: null, pendingWalletAt: null };
        return wallet;
      case 'GET /v1/me/withdrawals':
        return { withdrawals: [] };
      case 'GET /v1/stars/offer':
        return {
          rateNanoPerStar: '10000000',
          packs: [{ stars: 50, nano: '500000000' }],
          dailyCapStars: 5000,
          refundWindowMs: 86_400_000,
          earningsHoldMs: 0,
        };
      case 'GET /v1/stars/purchases':
        return { purchases: [] };
      case 'GET /v1/ton/proof-payload':
        payloads++;
        return { payload: payload(payloads) };
      case 'POST /v1/me/withdrawals':
        return { id: 'w1', amountNano: '1', status: 'pending', createdAt: new Date().toISOString() };
      case 'POST /v1/me/wallet':
        // A change of the bound wallet: accepted (202), effective after the delay.
        wallet = {
          wallet: BOUND,
          pendingWallet: OTHER,
          pendingWalletAt: new Date(Date.now() + 86_400_000).toISOString(),
        };
        return wallet;
      default:
        throw new Error(`unexpected ${method} ${path}`);
    }
  });
  const client = {
    me: vi.fn(async () => opts.me ?? me),
    ledger: vi.fn(async () => ({
      entries: [
        {
          txId: 't1',
          kind: 'trial_grant',
          trial: true,
          amountNano: (TON / 2n).toString(),
          memo: null,
          createdAt: '2025-01-01T00:00:00Z',
        },
        {
          txId: 't2',
          kind: 'deposit',
          trial: false,
          amountNano: (20n * TON).toString(),
          memo: null,
          createdAt: '2025-01-01T00:00:00Z',
        },
      ],
    })),
  };
  // The real shared client over a fetch that answers from `request`: the page calls the client's TON methods.
  const fetch = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    const answer = await request(init?.method ?? 'GET', new URL(String(url)).pathname, body);
    return Response.json(answer);
  });
  const real = createCocoonClient({
    baseUrl: 'http://proxy.test',
    auth: { kind: 'tma', initData: 'x' },
    fetch,
  });
  const calls = (method: string, path: string) =>
    request.mock.calls.filter(([m, p]) => m === method && p === path).map(([, , body]) => body);
  return { client: { ...real, ...client }, calls, payload };
}

afterEach(() => {
  cleanup();
  tc.ui.wallet = null;
  vi.clearAllMocks();
});

it('shows what is available for jobs, what is withdrawable and the trial credit apart', async () => {
  const api = fakeApi();
  renderWithClient(<WalletPage />, api.client);
  expect((await screen.findByTestId('wallet-balance')).textContent).toBe('20.5 TON');
  expect(screen.getByTestId('wallet-withdrawable').textContent).toBe('20 TON');
  expect(screen.getByTestId('wallet-trial').textContent).toBe('0.5 TON');
  // The trial grant is marked in the history; the deposit isn't.
  const ledger = await screen.findByTestId('ledger');
  expect(ledger.querySelectorAll('[data-testid="ledger-trial"]')).toHaveLength(1);
  expect(ledger.children[0].textContent).toContain('trial');

  // The withdraw form's maximum is the withdrawable part (less the fee), never the trial credit.
  await screen.findByTestId('bound-wallet');
  expect((await screen.findByTestId('withdraw-hint')).textContent).toMatch(
    /^To EQBoun.* · up to 19\.99 TON$/,
  );
  fireEvent.change(screen.getByTestId('withdraw-amount'), { target: { value: '20.2' } });
  expect(screen.getByTestId('withdraw-hint').textContent).toBe(
    "More than you can withdraw: at most 19.99 TON after the fee. Trial credit can't be withdrawn.",
  );
  expect((screen.getByTestId('withdraw-submit') as HTMLButtonElement).disabled).toBe(true);
});

it('a new user with trial credit only has nothing to withdraw', async () => {
  const api = fakeApi({
    me: { ...me, balanceNano: (TON / 2n).toString(), withdrawableNano: '0', wallet: null },
    wallet: { wallet: null, pendingWallet: null, pendingWalletAt: null },
  });
  renderWithClient(<WalletPage />, api.client);
  expect((await screen.findByTestId('wallet-withdrawable')).textContent).toBe('0 TON');
  expect(screen.getByTestId('wallet-trial').textContent).toBe('0.5 TON');
  expect(screen.getByTestId('wallet-balance').textContent).toBe('0.5 TON');
});

it('shows a pending wallet change with when it takes effect, and cancels it', async () => {
  const at = new Date(Date.now() + 86_400_000).toISOString();
  const api = fakeApi({ wallet: { wallet: BOUND, pendingWallet: OTHER, pendingWalletAt: at } });
  renderWithClient(<WalletPage />, api.client);
  const banner = await screen.findByTestId('pending-wallet');
  expect(banner.textContent).toContain('EQNewW');
  expect(banner.textContent).toContain('withdrawals wait until then');
  expect(banner.textContent).toContain("If this wasn't you, cancel it.");
  expect(screen.getByTestId('pending-wallet-at').textContent).not.toBe('—');
  // Withdrawals are held while the change is pending.
  await waitFor(() =>
    expect(screen.getByTestId('withdraw-hint').textContent).toContain('wallet change is pending'),
  );

  fireEvent.click(screen.getByTestId('cancel-wallet-change'));
  await waitFor(() => expect(screen.queryByTestId('pending-wallet')).toBeNull());
  expect(api.calls('DELETE', '/v1/me/wallet/pending')).toHaveLength(1);
  expect(screen.getByTestId('bound-wallet').getAttribute('title')).toBe(BOUND);
});

it('asks the wallet for a fresh proof above the threshold, and sends it with the withdrawal without re-binding', async () => {
  tc.ui.wallet = sandboxWallet();
  tc.ui.connector.connect.mockImplementation((_wallet: unknown, request?: { tonProof?: string }) => {
    // The wallet answers the connect request with a proof of its payload.
    setTimeout(() => tc.ui.emit(sandboxWallet(request?.tonProof)), 0);
  });
  const api = fakeApi();
  renderWithClient(<WalletPage />, api.client);
  await screen.findByTestId('bound-wallet');
  const submit = screen.getByTestId('withdraw-submit') as HTMLButtonElement;

  fireEvent.change(screen.getByTestId('withdraw-amount'), { target: { value: '5' } });
  expect(submit.textContent).toBe('Withdraw');
  expect(screen.queryByTestId('withdraw-proof-note')).toBeNull();

  fireEvent.change(screen.getByTestId('withdraw-amount'), { target: { value: '12' } });
  await waitFor(() => expect(submit.textContent).toBe('Reconnect wallet to confirm'));
  expect(screen.getByTestId('withdraw-proof-note').textContent).toContain(
    'Withdrawals above 10 TON need a fresh proof that you hold the wallet',
  );

  fireEvent.click(submit);
  await screen.findByTestId('withdraw-queued');
  // Disconnected and reconnected the same (sandbox) wallet with a payload fetched for this.
  expect(tc.ui.disconnect).toHaveBeenCalledTimes(1);
  expect(tc.ui.connector.connect).toHaveBeenCalledWith(
    { jsBridgeKey: 'cocoonSandboxWallet' },
    { tonProof: api.payload(1) },
  );
  const [body] = api.calls('POST', '/v1/me/withdrawals') as Array<Record<string, unknown>>;
  expect(body).toMatchObject({
    amountNano: (12n * TON).toString(),
    tonProof: {
      address: '0:ab',
      network: '-3',
      public_key: 'pk',
      proof: { payload: api.payload(1), signature: 'sig', state_init: 'si' },
    },
  });
  expect(typeof body.idempotencyKey).toBe('string');
  // The reconnection's proof went to the withdrawal only: no re-bind spent its payload.
  expect(api.calls('POST', '/v1/me/wallet')).toHaveLength(0);
});

it('reports a reconnect the user cancelled, and sends nothing', async () => {
  tc.ui.wallet = { ...sandboxWallet(), device: { appName: 'tonkeeper' } };
  tc.ui.openModal.mockImplementation(async () => {
    setTimeout(() => tc.ui.closeModal(), 0);
  });
  const api = fakeApi();
  renderWithClient(<WalletPage />, api.client);
  await screen.findByTestId('bound-wallet');
  fireEvent.change(screen.getByTestId('withdraw-amount'), { target: { value: '15' } });
  fireEvent.click(screen.getByTestId('withdraw-submit'));
  expect((await screen.findByTestId('withdraw-proof-error')).textContent).toContain('not reconnected');
  // A wallet other than the sandbox one: the real TON Connect modal.
  expect(tc.ui.openModal).toHaveBeenCalledTimes(1);
  expect(tc.ui.connector.connect).not.toHaveBeenCalled();
  expect(api.calls('POST', '/v1/me/withdrawals')).toHaveLength(0);
});

it('says a wallet change is pending, not bound, when binding another wallet answers 202', async () => {
  const api = fakeApi();
  renderWithClient(<WalletPage />, api.client);
  await screen.findByTestId('bound-wallet');
  // The binding payload is in; the user connects another wallet, with its proof.
  await waitFor(() => expect(api.calls('GET', '/v1/ton/proof-payload')).toHaveLength(1));
  tc.ui.emit(sandboxWallet(api.payload(1)));
  expect((await screen.findByTestId('bind-pending')).textContent).toContain('not bound yet');
  expect((await screen.findByTestId('pending-wallet')).textContent).toContain('EQNewW');
  expect(screen.getByTestId('bound-wallet').getAttribute('title')).toBe(BOUND);
  expect(api.calls('POST', '/v1/me/wallet')).toEqual([
    expect.objectContaining({ address: '0:ab', proof: expect.objectContaining({ payload: api.payload(1) }) }),
  ]);
});

it('shows Stars credit apart from the TON balance, beside the Stars packs', async () => {
  const api = fakeApi({ me: { ...me, starsNano: (3n * TON).toString() } });
  renderWithClient(<WalletPage />, api.client);
  expect((await screen.findByTestId('wallet-stars')).textContent).toBe('3 TON');
  // Available for jobs counts Stars credit (20.5 + 3); withdrawable doesn't.
  expect(screen.getByTestId('wallet-balance').textContent).toBe('23.5 TON');
  expect(screen.getByTestId('wallet-withdrawable').textContent).toBe('20 TON');
  expect((await screen.findByTestId('stars-pack-50')).textContent).toBe('50 ⭐0.5 TON');
  expect(screen.queryByTestId('stars-receivable')).toBeNull();
});
