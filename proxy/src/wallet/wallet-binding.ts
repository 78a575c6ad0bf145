// Which wallet withdrawals go to. Binding the first wallet takes effect at once; changing it takes a
// proof from the old wallet, or else waits out a cooling-off period (WALLET_CHANGE_DELAY_S) during which
// withdrawals wait and the Mini App shows the pending change. So a stolen initData alone can't redirect
// the money: the real owner sees the change coming and can cancel it.
import type { Db, Queryable } from '../db';
import { conflict } from '../errors';
import {
  applyDueWalletChange,
  clearPendingWallet,
  setPendingWallet,
  setWallet,
  walletRow,
  walletTakenByAnother,
} from './repository';

export interface WalletState {
  wallet: string | null;
  pendingWallet: string | null;
  pendingWalletAt: Date | null;
}

/** The user's wallet state, after applying a pending change whose time has come. */
export async function walletState(db: Queryable, userId: string): Promise<WalletState> {
  let row = await walletRow(db, userId);
  if (row?.pending_wallet_at && new Date(row.pending_wallet_at).getTime() <= Date.now()) {
    const applied = await applyDueWalletChange(db, userId).catch(async (err) => {
      // The pending wallet was bound by another account meanwhile: the change is void.
      if ((err as { code?: string }).code !== '23505') throw err;
      return clearPendingWallet(db, userId);
    });
    row = applied ?? row;
  }
  return {
    wallet: row?.wallet_address ?? null,
    pendingWallet: row?.pending_wallet_address ?? null,
    pendingWalletAt: row?.pending_wallet_at ? new Date(row.pending_wallet_at) : null,
  };
}

/**
 * Binds `wallet` (already proven by a ton_proof). `oldWalletProven`: the request also carried a valid proof
 * from the currently bound wallet, so the change needs no waiting. Proving the bound wallet itself again
 * cancels a pending change: whoever holds the old wallet has the last word.
 */
export async function bindWallet(
  db: Db,
  args: { userId: string; wallet: string; oldWalletProven: string | null; delayS: number },
): Promise<WalletState> {
  const current = await walletState(db, args.userId);
  if (await walletTakenByAnother(db, args.userId, args.wallet)) {
    throw conflict('this wallet is already bound to another account', 'wallet_taken');
  }
  const immediate =
    current.wallet === null || current.wallet === args.wallet || args.oldWalletProven === current.wallet;
  try {
    if (immediate) {
      await setWallet(db, args.userId, args.wallet);
    } else {
      await setPendingWallet(db, args.userId, args.wallet, args.delayS);
    }
  } catch (err) {
    if ((err as { code?: string }).code === '23505') {
      throw conflict('this wallet is already bound to another account', 'wallet_taken');
    }
    throw err;
  }
  return walletState(db, args.userId);
}

/** Drops a pending wallet change (either the owner changed their mind, or it wasn't them). */
export async function cancelWalletChange(db: Db, userId: string): Promise<WalletState> {
  await clearPendingWallet(db, userId);
  return walletState(db, userId);
}

/** Refuses a withdrawal while a wallet change is pending. */
export function assertNoPendingChange(state: WalletState): void {
  if (state.pendingWalletAt) {
    throw conflict(
      `a change of your withdrawal wallet is pending until ${state.pendingWalletAt.toISOString()}; withdrawals wait until then (cancel the change in the Mini App if it wasn't you)`,
      'wallet_change_pending',
    );
  }
}
