import { describe, expect, it, vi } from 'vitest';
import { createSandboxBridge, installSandboxWallet, SANDBOX_BRIDGE_KEY } from './sandbox-wallet';

const RAW = `0:${'ab'.repeat(32)}`;
const WALLET = { id: 'w1', address: RAW, publicKey: 'cd'.repeat(32), stateInit: 'te6cc', balanceNano: '100' };

function memoryStorage() {
  const m = new Map<string, string>();
  return {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
    removeItem: (k: string) => void m.delete(k),
  };
}

function fakeProxy() {
  const calls: Array<{ url: string; body: unknown }> = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ url, body });
    const json = url.endsWith('/dev/sandbox-wallet')
      ? WALLET
      : url.endsWith('/ton-proof')
        ? {
            timestamp: 1700000000,
            domain: { lengthBytes: 14, value: '127.0.0.1:8080' },
            payload: body.payload,
            signature: 'c2ln',
            state_init: 'te6cc',
          }
        : url.endsWith('/send')
          ? { boc: 'Ym9j' }
          : { error: { message: 'nope' } };
    return new Response(JSON.stringify(json), { status: url.includes('/dev/') ? 200 : 404 });
  });
  return { calls, fetch: fetch as unknown as typeof globalThis.fetch };
}

function bridge() {
  const proxy = fakeProxy();
  const b = createSandboxBridge({
    proxyUrl: 'http://proxy.test',
    fetch: proxy.fetch,
    storage: memoryStorage(),
    resolveDomain: async () => '127.0.0.1:8080',
  });
  return { b, proxy };
}

describe('sandbox wallet JS bridge', () => {
  it('declares protocol 2 and the SendTransaction feature', () => {
    const { b } = bridge();
    expect(b.protocolVersion).toBe(2);
    expect(b.isWalletBrowser).toBe(false);
    expect(b.deviceInfo.features).toContainEqual({ name: 'SendTransaction', maxMessages: 4 });
  });

  it('connects with ton_addr and a ton_proof signed by the proxy for the manifest domain', async () => {
    const { b, proxy } = bridge();
    const ev = await b.connect(2, {
      manifestUrl: 'http://127.0.0.1:8080/tonconnect-manifest.json',
      items: [{ name: 'ton_addr' }, { name: 'ton_proof', payload: 'p4yl0ad' }],
    });
    expect(ev.event).toBe('connect');
    const payload = ev.payload as { items: Array<Record<string, unknown>>; device: { appName: string } };
    expect(payload.device.appName).toBe('cocoon-sandbox');
    expect(payload.items[0]).toEqual({
      name: 'ton_addr',
      address: RAW,
      network: '-3',
      publicKey: WALLET.publicKey,
      walletStateInit: WALLET.stateInit,
    });
    expect(payload.items[1]).toMatchObject({
      name: 'ton_proof',
      proof: {
        timestamp: 1700000000,
        domain: { value: '127.0.0.1:8080' },
        payload: 'p4yl0ad',
        signature: 'c2ln',
      },
    });
    expect(proxy.calls.map((c) => c.url)).toEqual([
      'http://proxy.test/dev/sandbox-wallet',
      'http://proxy.test/dev/sandbox-wallet/w1/ton-proof',
    ]);
    expect(proxy.calls[1].body).toEqual({ domain: '127.0.0.1:8080', payload: 'p4yl0ad' });
  });

  it('restores the connection without a proof, and reuses the stored wallet id', async () => {
    const { b, proxy } = bridge();
    expect((await b.restoreConnection()).event).toBe('connect_error');
    await b.connect(2, { manifestUrl: 'http://x/m.json', items: [{ name: 'ton_addr' }] });
    const restored = await b.restoreConnection();
    expect(restored.event).toBe('connect');
    expect((restored.payload as { items: unknown[] }).items).toHaveLength(1);
    await b.connect(2, { manifestUrl: 'http://x/m.json', items: [{ name: 'ton_addr' }] });
    expect(proxy.calls[1].body).toEqual({ id: 'w1' });
  });

  it('signs sendTransaction through /send and answers with the BOC under the request id', async () => {
    const { b, proxy } = bridge();
    await b.connect(2, { manifestUrl: 'http://x/m.json', items: [{ name: 'ton_addr' }] });
    const tx = {
      valid_until: Math.floor(Date.now() / 1000) + 60,
      messages: [{ address: 'EQservice', amount: '1000000000', payload: 'te6payload' }],
    };
    const res = await b.send({ method: 'sendTransaction', params: [JSON.stringify(tx)], id: '7' });
    expect(res).toEqual({ id: '7', result: 'Ym9j' });
    expect(proxy.calls.at(-1)).toEqual({
      url: 'http://proxy.test/dev/sandbox-wallet/w1/send',
      body: { messages: [{ address: 'EQservice', amount: '1000000000', payload: 'te6payload' }] },
    });
  });

  it('refuses expired transactions and unknown methods with protocol errors', async () => {
    const { b } = bridge();
    await b.connect(2, { manifestUrl: 'http://x/m.json', items: [{ name: 'ton_addr' }] });
    const expired = await b.send({
      method: 'sendTransaction',
      params: [JSON.stringify({ valid_until: 1, messages: [] })],
      id: '1',
    });
    expect(expired).toMatchObject({ id: '1', error: { code: 1 } });
    expect(await b.send({ method: 'signData', params: [], id: '2' })).toMatchObject({
      id: '2',
      error: { code: 400 },
    });
  });

  it('notifies listeners on disconnect and forgets the connection, but keeps the wallet for the next connect', async () => {
    const { b, proxy } = bridge();
    await b.connect(2, { manifestUrl: 'http://x/m.json', items: [{ name: 'ton_addr' }] });
    const events: string[] = [];
    const off = b.listen((e) => events.push(e.event));
    b.disconnect();
    off();
    expect(events).toEqual(['disconnect']);
    expect((await b.restoreConnection()).event).toBe('connect_error');
    expect(
      await b.send({ method: 'sendTransaction', params: [JSON.stringify({ messages: [] })], id: '3' }),
    ).toMatchObject({ id: '3', error: { code: 1 } });
    // Connecting again (say, for a fresh ton_proof) proves the same wallet, not a new one.
    await b.connect(2, {
      manifestUrl: 'http://x/m.json',
      items: [{ name: 'ton_addr' }, { name: 'ton_proof', payload: 'again' }],
    });
    expect(proxy.calls.filter((c) => c.url.endsWith('/dev/sandbox-wallet')).map((c) => c.body)).toEqual([
      {},
      { id: 'w1' },
    ]);
    expect((await b.restoreConnection()).event).toBe('connect');
  });

  it('disconnects on the SDK disconnect request too', async () => {
    const { b } = bridge();
    await b.connect(2, { manifestUrl: 'http://x/m.json', items: [{ name: 'ton_addr' }] });
    expect(await b.send({ method: 'disconnect', params: [], id: '9' })).toEqual({ id: '9', result: {} });
    expect((await b.restoreConnection()).event).toBe('connect_error');
  });

  it('installs itself on window under its jsBridgeKey, once', () => {
    installSandboxWallet({ storage: memoryStorage() });
    const first = (window as unknown as Record<string, unknown>)[SANDBOX_BRIDGE_KEY];
    installSandboxWallet({ storage: memoryStorage() });
    expect((window as unknown as Record<string, unknown>)[SANDBOX_BRIDGE_KEY]).toBe(first);
    expect(first).toHaveProperty('tonconnect.protocolVersion', 2);
  });
});
