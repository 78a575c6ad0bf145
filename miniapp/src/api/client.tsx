// The API client for the pages. The shared client (zod schemas and envelope crypto included) is loaded on
// first use rather than with the entry script: the first paint doesn't need it, and it keeps index.html's JS
// within budget. Tests provide their own client through <ApiProvider getClient={...}>.
//
// A confidential job (`minTrust: 'tdx'`) needs a client configured with the operator's attestation policy
// key: it is made apart, only when asked for, and its TDX verifier (@phala/dcap-qvl) is a chunk of its own
// that loads when such a job first runs.
import type { CocoonClient, VoucherStore } from '@cocoon/shared';
import { createContext, type ReactNode, useContext } from 'react';
import { PROXY_URL } from '../env';

export interface ClientOptions {
  /** A client that can check rigs' TDX evidence itself (runJob's `minTrust: 'tdx'`). */
  confidential?: boolean;
}

export type GetClient = (opts?: ClientOptions) => Promise<CocoonClient>;

/** Where the operator's policy key came from: this build, or the policy the proxy serves. */
export type PolicyKeySource = 'build' | 'proxy';

/**
 * The operator's attestation policy key (Ed25519, base64): the one this build was made with
 * (VITE_ATTESTATION_POLICY_KEY), else the `publicKey` of the policy the proxy serves. The second is only as good
 * as the proxy, which serves this app's code anyway; the bot and the gateway are configured with the key.
 */
export async function fetchPolicyKey(
  baseUrl: string,
  configured: string | undefined = import.meta.env.VITE_ATTESTATION_POLICY_KEY,
  fetchFn: typeof fetch = (...a) => fetch(...a),
): Promise<{ key: Uint8Array; source: PolicyKeySource }> {
  const { ApiError, attestationRoutes, fromBase64, signedPolicy } = await import('@cocoon/shared');
  const notConfigured = (why: string) =>
    new ApiError(400, 'attestation_not_configured', `Confidential jobs can't be checked here: ${why}`);
  const decode = (b64: string, where: string) => {
    let key: Uint8Array;
    try {
      key = fromBase64(b64.trim());
    } catch {
      throw notConfigured(`${where} is not base64`);
    }
    if (key.length !== 32) throw notConfigured(`${where} is not an Ed25519 public key (32 bytes)`);
    return key;
  };
  if (configured)
    return { key: decode(configured, 'the policy key this app was built with'), source: 'build' };
  const res = await fetchFn(`${baseUrl}${attestationRoutes.attestationPolicy.path}`);
  if (!res.ok) throw notConfigured(`the proxy serves no attestation policy (HTTP ${res.status})`);
  const served = signedPolicy.safeParse(await res.json());
  if (!served.success) throw notConfigured("the proxy's attestation policy is not a signed policy document");
  return { key: decode(served.data.publicKey, "the key in the proxy's policy"), source: 'proxy' };
}

type SpendKey = { seed: Uint8Array; store: VoucherStore };

/**
 * The spend key this device keeps for the user (an on-chain account opened here), with the last voucher it
 * signed: with it, the client signs each finished job's voucher (shared/src/onchain/voucher-signer.ts).
 * @ton/core and @ton/crypto, which the signer loads then, need the `buffer` polyfill in the browser.
 */
async function spendKeyOption(spendKey: SpendKey | null): Promise<{ spendKey?: SpendKey }> {
  if (!spendKey) return {};
  await import('../wallet/buffer-polyfill');
  return { spendKey };
}

async function confidentialClient(
  initData: string,
  baseUrl: string,
  spendKey: SpendKey | null,
): Promise<CocoonClient> {
  // Destructured from the awaited import so the bundler keeps only what is used (no dev routes).
  const { createCocoonClient } = await import('@cocoon/shared');
  const { key } = await fetchPolicyKey(baseUrl);
  return createCocoonClient({
    baseUrl,
    auth: { kind: 'tma', initData },
    attestation: { operatorKey: key },
    ...(await spendKeyOption(spendKey)),
  });
}

async function tmaClient(initData: string, baseUrl: string, spendKey: SpendKey | null) {
  // Destructured from the awaited import so the bundler keeps only what is used (no dev routes).
  const { createCocoonClient } = await import('@cocoon/shared');
  return createCocoonClient({
    baseUrl,
    auth: { kind: 'tma', initData },
    ...(await spendKeyOption(spendKey)),
  });
}

/**
 * Creates the lazy loader for a client authenticated with Telegram initData. When this device keeps a spend
 * key for the user, the client signs on-chain jobs' vouchers with it; a key made later (an account opened
 * now) gets a new client on the next call.
 */
export function lazyTmaClient(initData: string, baseUrl: string = PROXY_URL): GetClient {
  let client: { tag: string; promise: Promise<CocoonClient> } | null = null;
  let confidential: { tag: string; promise: Promise<CocoonClient> } | null = null;
  // Read on each call (a small chunk, not the entry's): the key may have been made since.
  const deviceKey = async (): Promise<(SpendKey & { tag: string }) | null> => {
    const { initDataUserId, loadSpendSeed, localVoucherStore } = await import(
      '../onchain-accounts/spend-key'
    );
    const userId = initDataUserId(initData);
    const seed = userId ? loadSpendSeed(userId) : null;
    return seed && userId ? { seed, store: localVoucherStore(userId), tag: seed.join(',') } : null;
  };
  return async (opts) => {
    const key = await deviceKey();
    const spendKey = key ? { seed: key.seed, store: key.store } : null;
    const tag = key?.tag ?? '';
    if (opts?.confidential) {
      if (confidential?.tag !== tag)
        confidential = { tag, promise: confidentialClient(initData, baseUrl, spendKey) };
      const mine = confidential;
      // A failed key lookup is tried again next time (the proxy may get its policy later).
      mine.promise.catch(() => {
        if (confidential === mine) confidential = null;
      });
      return mine.promise;
    }
    if (client?.tag !== tag) client = { tag, promise: tmaClient(initData, baseUrl, spendKey) };
    return client.promise;
  };
}

const ClientContext = createContext<GetClient | null>(null);

export function ApiProvider({ getClient, children }: { getClient: GetClient; children: ReactNode }) {
  return <ClientContext.Provider value={getClient}>{children}</ClientContext.Provider>;
}

export function useGetClient(): GetClient {
  const get = useContext(ClientContext);
  if (!get) throw new Error('useGetClient outside <ApiProvider>');
  return get;
}
