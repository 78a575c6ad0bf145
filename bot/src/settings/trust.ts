// Each chat's trust tier for its jobs (/trust): `open` (any rig) or `tdx` (only rigs whose Intel TDX quote the
// bot verified itself against the operator's signed policy). Kept on the proxy beside the chat history
// (service key), so a chat that asked for TDX keeps asking after the bot restarts, with a bounded cache in
// front. A setting that can't be read fails the job rather than falling back to `open`: a confidential chat
// must never be served by any rig because the proxy was briefly unreachable.
import { createCocoonClient, type TrustTier } from '@cocoon/shared';

export interface TrustSettings {
  get(chatId: number): Promise<TrustTier>;
  set(chatId: number, tier: TrustTier): Promise<void>;
}

/** Where settings live: the proxy's chat-settings routes, or memory (tests). */
export interface TrustBackend {
  read(chatId: number): Promise<TrustTier>;
  write(chatId: number, tier: TrustTier): Promise<void>;
}

/** How many chats' settings are cached; past it the least recently used is read again when needed. */
export const MAX_TRUST_CHATS = 100_000;

export function createTrustSettings(
  backend: TrustBackend = memoryTrustBackend(),
  max = MAX_TRUST_CHATS,
): TrustSettings & { readonly size: number } {
  const cache = new Map<number, TrustTier>();
  const remember = (chatId: number, tier: TrustTier) => {
    cache.delete(chatId);
    cache.set(chatId, tier);
    while (cache.size > max) cache.delete(cache.keys().next().value as number);
  };
  return {
    async get(chatId) {
      const hit = cache.get(chatId);
      if (hit) {
        remember(chatId, hit);
        return hit;
      }
      const tier = await backend.read(chatId);
      remember(chatId, tier);
      return tier;
    },
    async set(chatId, tier) {
      await backend.write(chatId, tier);
      remember(chatId, tier);
    },
    get size() {
      return cache.size;
    },
  };
}

export function memoryTrustBackend(): TrustBackend {
  const tiers = new Map<number, TrustTier>();
  return {
    read: async (chatId) => tiers.get(chatId) ?? 'open',
    write: async (chatId, tier) => {
      tiers.set(chatId, tier);
    },
  };
}

/** The proxy's chat-settings routes, with the bot's service key. */
export function proxyTrustBackend(opts: { proxyUrl: string; serviceKey: string }): TrustBackend {
  const client = createCocoonClient({
    baseUrl: opts.proxyUrl,
    auth: { kind: 'service', key: opts.serviceKey },
  });
  return {
    read: async (chatId) => (await client.chatSettings(chatId)).minTrust,
    write: async (chatId, tier) => {
      await client.setChatSettings(chatId, { minTrust: tier });
    },
  };
}
