import type { MeView, WalletState } from '@cocoon/shared';

/** The wallet withdrawals go to: GET /v1/me/wallet's (which applies a change whose time has come), else /v1/me's. */
export function boundWallet(me: MeView | undefined, state: WalletState | undefined): string | null {
  return state ? state.wallet : (me?.wallet ?? null);
}
