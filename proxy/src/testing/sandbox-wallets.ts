// Test helpers for TON payments on the proxy's in-process sandbox chain: sandbox wallets (through the
// same dev routes the Mini App's injected wallet uses), ton_proof bodies as TON Connect hands them over,
// wallet binding and memo deposits.
import { type CocoonClient, createCocoonClient } from '@cocoon/shared';
import { Address, beginCell } from '@ton/core';
import type { ProxyServer } from '../app';

export type DevWallet = {
  id: string;
  address: string;
  publicKey: string;
  stateInit: string;
  balanceNano: string;
};

/** Unauthenticated calls (the sandbox wallet routes, as the Mini App's sandbox bridge makes them). */
export const anonClient = (proxy: ProxyServer) =>
  createCocoonClient({ baseUrl: proxy.url, auth: { kind: 'none' } });

export async function devWallet(proxy: ProxyServer): Promise<DevWallet> {
  return anonClient(proxy).request<DevWallet>('POST', '/dev/sandbox-wallet', {});
}

/** A ton_proof for `w` over a payload the proxy issued to `c`'s user, shaped as POST /v1/me/wallet takes it. */
export async function proofBody(proxy: ProxyServer, c: CocoonClient, w: DevWallet, domain = 'localhost') {
  const { payload } = await c.request<{ payload: string }>('GET', '/v1/ton/proof-payload');
  const proof = await anonClient(proxy).request<Record<string, unknown>>(
    'POST',
    `/dev/sandbox-wallet/${encodeURIComponent(w.id)}/ton-proof`,
    { domain, payload },
  );
  // What TON Connect hands the Mini App: raw address, chain id, public key, and the proof.
  return { address: Address.parse(w.address).toRawString(), network: '-3', public_key: w.publicKey, proof };
}

const commentPayload = (text: string) =>
  beginCell().storeUint(0, 32).storeStringTail(text).endCell().toBoc().toString('base64');

/** `w` sends `amount` to the service wallet with `comment` (a deposit memo), through the sandbox route. */
export async function depositVia(proxy: ProxyServer, w: DevWallet, amount: bigint, comment: string) {
  await anonClient(proxy).request('POST', `/dev/sandbox-wallet/${encodeURIComponent(w.id)}/send`, {
    messages: [
      {
        address: proxy.ctx.ton.chain.serviceAddress(),
        amount: amount.toString(),
        payload: commentPayload(comment),
      },
    ],
  });
}
