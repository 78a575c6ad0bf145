// The spend key of an on-chain account (docs/on-chain-accounts.md), kept on this device: its 32-byte Ed25519
// seed in localStorage under the Telegram user's id, never sent anywhere (only its public half goes on chain,
// in the set_spend_key message the wallet sends). Beside it, the last voucher this device signed, which the
// shared client checks the proxy's word against before signing the next one. No TON code here: this module
// is small enough for any page; the message bodies are in ./messages (a lazy chunk).
import type { LastVoucher, VoucherStore } from '@cocoon/shared';

type KeyStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

const seedKey = (userId: string) => `cocoon.spendKey.${userId}`;
const voucherKey = (userId: string) => `cocoon.voucher.${userId}`;

function storageOr(storage?: KeyStorage): KeyStorage | null {
  if (storage) return storage;
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage blocked (private mode, sandboxed frame)
  }
}

const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function fromHex(hex: string): Uint8Array | null {
  if (!/^[0-9a-f]{64}$/.test(hex)) return null;
  return Uint8Array.from(hex.match(/../g)!, (h) => Number.parseInt(h, 16));
}

/** The spend key seed this device keeps for the user, or null. */
export function loadSpendSeed(userId: string, storage?: KeyStorage): Uint8Array | null {
  const s = storageOr(storage);
  const hex = s?.getItem(seedKey(userId));
  return hex ? fromHex(hex) : null;
}

/**
 * A new spend key seed for the user (32 random bytes), kept on this device. The last-voucher record goes
 * with the old key: it only says what this device signed, and the next voucher follows the proxy's count.
 */
export function createSpendSeed(userId: string, storage?: KeyStorage): Uint8Array {
  const s = storageOr(storage);
  if (!s) throw new Error("this browser keeps no local storage: a spend key can't be kept on this device");
  const seed = crypto.getRandomValues(new Uint8Array(32));
  s.setItem(seedKey(userId), toHex(seed));
  s.removeItem(voucherKey(userId));
  return seed;
}

/** The last voucher this device signed for the user, in localStorage (bigints as decimal strings). */
export function localVoucherStore(userId: string, storage?: KeyStorage): VoucherStore {
  return {
    get(): LastVoucher | null {
      const raw = storageOr(storage)?.getItem(voucherKey(userId));
      if (!raw) return null;
      try {
        const v = JSON.parse(raw) as { amountNano: string; seq: string };
        return { amountNano: BigInt(v.amountNano), seq: BigInt(v.seq) };
      } catch {
        return null;
      }
    },
    set(v: LastVoucher) {
      storageOr(storage)?.setItem(
        voucherKey(userId),
        JSON.stringify({ amountNano: v.amountNano.toString(), seq: v.seq.toString() }),
      );
    },
  };
}

/** The Telegram user id in a Mini App's initData (`user` is a JSON object), or null. */
export function initDataUserId(initData: string): string | null {
  try {
    const user = new URLSearchParams(initData).get('user');
    const id = user ? (JSON.parse(user) as { id?: unknown }).id : undefined;
    return typeof id === 'number' || typeof id === 'string' ? String(id) : null;
  } catch {
    return null;
  }
}
