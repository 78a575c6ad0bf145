// Local mode only: a "sandbox wallet" injected as window[SANDBOX_BRIDGE_KEY].tonconnect, speaking the TON
// Connect JS bridge protocol (https://github.com/ton-blockchain/ton-connect/blob/main/bridge.md#js-bridge).
// TON Connect UI lists it through walletsListConfiguration.includeWallets; the keys live on the proxy's
// sandbox chain, which signs ton_proof and transfers through /dev/sandbox-wallet/*. The real modal and the
// real connect → ton_proof → sendTransaction flow then work with no phone wallet.
import { PROXY_URL } from '../env';
import { SANDBOX_APP_NAME, SANDBOX_BRIDGE_KEY, sandboxWalletIcon } from './sandbox-entry';

export { SANDBOX_APP_NAME, SANDBOX_BRIDGE_KEY };

/** What the proxy's POST /dev/sandbox-wallet answers. */
export interface SandboxWallet {
  id: string;
  address: string;
  publicKey: string;
  stateInit: string;
  balanceNano: string;
}

interface ConnectRequestMessage {
  manifestUrl: string;
  items: Array<{ name: 'ton_addr'; network?: string } | { name: 'ton_proof'; payload: string }>;
}

interface RpcRequest {
  method: string;
  params: string[];
  id: string;
}

type WalletEvent = { event: string; id: number; payload: unknown };
type Listener = (event: WalletEvent) => void;

export interface SandboxWalletOptions {
  proxyUrl?: string;
  fetch?: typeof fetch;
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  /** Chain id reported in ton_addr; -239 mainnet, -3 testnet (the sandbox chain passes as testnet). */
  network?: string;
  /** The ton_proof domain; by default the host of the manifest's `url`, as real wallets do. */
  resolveDomain?: (manifestUrl: string) => Promise<string>;
}

const DEVICE_INFO = {
  platform: 'browser' as const,
  appName: SANDBOX_APP_NAME,
  appVersion: '1.0.0',
  maxProtocolVersion: 2,
  features: ['SendTransaction', { name: 'SendTransaction', maxMessages: 4 }],
};

const STORAGE_KEY = 'cocoon.sandboxWallet';
/** Set while the app is disconnected. The wallet itself stays (as a real wallet keeps its keys): connecting
 * again gives the same wallet, so reconnecting for a fresh ton_proof proves the bound wallet rather than
 * making a new one (which would start a wallet change). */
const DISCONNECTED_KEY = 'cocoon.sandboxWallet.disconnected';

async function manifestDomain(manifestUrl: string, fetchImpl: typeof fetch): Promise<string> {
  try {
    const res = await fetchImpl(manifestUrl);
    const manifest = (await res.json()) as { url?: string };
    if (manifest.url) return new URL(manifest.url).host;
  } catch {
    // fall through to the manifest's own host
  }
  return new URL(manifestUrl, typeof location === 'undefined' ? undefined : location.href).host;
}

/** TON Connect wants the raw form "0:<hex>"; convert a user-friendly address when that's what we got. */
async function rawAddress(address: string): Promise<string> {
  if (/^-?\d+:[0-9a-fA-F]{64}$/.test(address)) return address.toLowerCase();
  await import('./buffer-polyfill');
  const { Address } = await import('@ton/core');
  return Address.parse(address).toRawString();
}

type RpcAnswer = { id: string; result: unknown } | { id: string; error: { code: number; message: string } };

/** What the bridge's methods share: the proxy's /dev/sandbox-wallet routes, the stored wallet, event ids. */
function bridgeContext(opts: SandboxWalletOptions) {
  const proxyUrl = (opts.proxyUrl ?? PROXY_URL).replace(/\/$/, '');
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const storage = opts.storage ?? globalThis.localStorage;
  const network = opts.network ?? '-3';
  let eventId = 0;
  async function post<T>(path: string, body: unknown): Promise<T> {
    const res = await doFetch(`${proxyUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = await res.json().catch(() => undefined);
    if (!res.ok) throw new Error(json?.error?.message ?? `sandbox wallet: ${path} answered ${res.status}`);
    return json as T;
  }
  function stored(): SandboxWallet | null {
    try {
      const raw = storage.getItem(STORAGE_KEY);
      return raw ? (JSON.parse(raw) as SandboxWallet) : null;
    } catch {
      return null;
    }
  }
  return {
    proxyUrl,
    storage,
    post,
    stored,
    resolveDomain: opts.resolveDomain ?? ((u: string) => manifestDomain(u, doFetch)),
    nextId: () => ++eventId,
    /** The wallet the app is connected to, or null after a disconnect. */
    connected: () => (storage.getItem(DISCONNECTED_KEY) ? null : stored()),
    async addressItem(w: SandboxWallet, requestedNetwork?: string) {
      return {
        name: 'ton_addr' as const,
        address: await rawAddress(w.address),
        network: requestedNetwork ?? network,
        publicKey: w.publicKey,
        walletStateInit: w.stateInit,
      };
    },
    connectError(message: string, code = 0): WalletEvent {
      return { event: 'connect_error', id: ++eventId, payload: { code, message } };
    },
  };
}
type BridgeContext = ReturnType<typeof bridgeContext>;

/** connect: the browser's one sandbox wallet (made on first use), with a ton_proof when one is asked for. */
async function connectWallet(ctx: BridgeContext, message: ConnectRequestMessage): Promise<WalletEvent> {
  // One sandbox wallet per browser, reused across connections so deposits accumulate.
  const wallet = await ctx.post<SandboxWallet>('/dev/sandbox-wallet', { id: ctx.stored()?.id });
  ctx.storage.setItem(STORAGE_KEY, JSON.stringify(wallet));
  ctx.storage.removeItem(DISCONNECTED_KEY);
  const addrItem = message.items.find((i) => i.name === 'ton_addr');
  const items: unknown[] = [
    await ctx.addressItem(wallet, addrItem && 'network' in addrItem ? addrItem.network : undefined),
  ];
  const proofItem = message.items.find((i) => i.name === 'ton_proof');
  if (proofItem && 'payload' in proofItem) {
    const domain = await ctx.resolveDomain(message.manifestUrl);
    const proof = await ctx.post<{
      timestamp: number;
      domain: { lengthBytes: number; value: string };
      payload: string;
      signature: string;
      state_init?: string;
    }>(`/dev/sandbox-wallet/${encodeURIComponent(wallet.id)}/ton-proof`, {
      domain,
      payload: proofItem.payload,
    });
    items.push({ name: 'ton_proof', proof });
  }
  return { event: 'connect', id: ctx.nextId(), payload: { items, device: DEVICE_INFO } };
}

/** sendTransaction: signed and sent on the sandbox chain by the proxy; answers the message's BOC. */
async function sendTransaction(
  ctx: BridgeContext,
  request: RpcRequest,
  wallet: SandboxWallet,
): Promise<RpcAnswer> {
  const tx = JSON.parse(request.params[0]) as {
    valid_until?: number;
    messages: Array<{ address: string; amount: string; payload?: string; stateInit?: string }>;
  };
  if (tx.valid_until && tx.valid_until * 1000 < Date.now()) {
    return { id: request.id, error: { code: 1, message: 'the transaction request has expired' } };
  }
  const { boc } = await ctx.post<{ boc: string }>(
    `/dev/sandbox-wallet/${encodeURIComponent(wallet.id)}/send`,
    {
      // stateInit too: an on-chain account's first deposit (or a rig account's first claim) deploys it.
      messages: tx.messages.map((m) => ({
        address: m.address,
        amount: m.amount,
        payload: m.payload,
        ...(m.stateInit ? { stateInit: m.stateInit } : {}),
      })),
    },
  );
  return { id: request.id, result: boc };
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function createSandboxBridge(opts: SandboxWalletOptions = {}) {
  const ctx = bridgeContext(opts);
  const listeners = new Set<Listener>();
  return {
    deviceInfo: DEVICE_INFO,
    walletInfo: {
      name: 'Sandbox wallet',
      app_name: SANDBOX_APP_NAME,
      image: sandboxWalletIcon(),
      about_url: ctx.proxyUrl,
      platforms: ['chrome', 'firefox', 'safari'],
    },
    protocolVersion: 2,
    isWalletBrowser: false,

    async connect(protocolVersion: number, message: ConnectRequestMessage): Promise<WalletEvent> {
      if (protocolVersion > 2) return ctx.connectError('unsupported protocol version', 1);
      return connectWallet(ctx, message).catch((err) => ctx.connectError(messageOf(err)));
    },

    async restoreConnection(): Promise<WalletEvent> {
      const wallet = ctx.connected();
      if (!wallet) return ctx.connectError('no sandbox wallet connected');
      try {
        const items = [await ctx.addressItem(wallet)];
        return { event: 'connect', id: ctx.nextId(), payload: { items, device: DEVICE_INFO } };
      } catch (err) {
        return ctx.connectError(messageOf(err));
      }
    },

    async send(request: RpcRequest): Promise<RpcAnswer> {
      const wallet = ctx.connected();
      if (request.method === 'disconnect') {
        ctx.storage.setItem(DISCONNECTED_KEY, '1');
        return { id: request.id, result: {} };
      }
      if (request.method !== 'sendTransaction') {
        const message = `${request.method} is not supported by the sandbox wallet`;
        return { id: request.id, error: { code: 400, message } };
      }
      if (!wallet)
        return { id: request.id, error: { code: 1, message: 'the sandbox wallet is not connected' } };
      return sendTransaction(ctx, request, wallet).catch((err) => ({
        id: request.id,
        error: { code: 0, message: messageOf(err) },
      }));
    },

    listen(callback: Listener): () => void {
      listeners.add(callback);
      return () => listeners.delete(callback);
    },

    disconnect(): void {
      ctx.storage.setItem(DISCONNECTED_KEY, '1');
      const event = { event: 'disconnect', id: ctx.nextId(), payload: {} };
      for (const l of listeners) l(event);
    },
  };
}

/** Puts the bridge on window before TON Connect UI reads its wallets list. Idempotent. */
export function installSandboxWallet(opts: SandboxWalletOptions = {}): void {
  const w = window as unknown as Record<string, unknown>;
  if (w[SANDBOX_BRIDGE_KEY]) return;
  w[SANDBOX_BRIDGE_KEY] = { tonconnect: createSandboxBridge(opts) };
}
