// Each chat's trust tier for its jobs (/trust): `open` (any rig) or `tdx` (only rigs whose Intel TDX quote the
// bot verified itself against the operator's signed policy). Kept in this process's memory, bounded: the
// proxy has no per-chat settings route and the bot keeps no files. On restart every chat is back to `open`,
// which /trust and the missing "confidential (TDX) rig" in each answer's cost line then show; a group that
// needs TDX sets it again. (Persisting it beside the chat history, on the proxy, is the follow-up.)
import type { TrustTier } from '@cocoon/shared';

export interface TrustSettings {
  get(chatId: number): TrustTier;
  set(chatId: number, tier: TrustTier): void;
}

/** How many chats' settings are kept; past it the least recently used `tdx` chat falls back to `open`. */
export const MAX_TRUST_CHATS = 100_000;

export function createTrustSettings(max = MAX_TRUST_CHATS): TrustSettings & { readonly size: number } {
  // Only `tdx` chats are stored (open is the default), in insertion order refreshed on use: an LRU.
  const tdx = new Map<number, true>();
  return {
    get(chatId) {
      if (!tdx.has(chatId)) return 'open';
      tdx.delete(chatId);
      tdx.set(chatId, true);
      return 'tdx';
    },
    set(chatId, tier) {
      tdx.delete(chatId);
      if (tier === 'open') return;
      tdx.set(chatId, true);
      while (tdx.size > max) tdx.delete(tdx.keys().next().value as number);
    },
    get size() {
      return tdx.size;
    },
  };
}
