// What the proxy needs to bind a wallet: TON Connect's account and its ton_proof reply.
import type { BindWalletRequest } from '../api/extra-routes';

/** The POST /v1/me/wallet body for a connected wallet's account and proof. */
export function bindRequestFor(wallet: {
  account: { address: string; chain: string; publicKey?: string; walletStateInit?: string };
  connectItems?: { tonProof?: { proof: BindWalletRequest['proof'] } | { error: unknown } };
}): BindWalletRequest | null {
  const item = wallet.connectItems?.tonProof;
  if (!item || !('proof' in item)) return null;
  return {
    address: wallet.account.address,
    network: String(wallet.account.chain),
    public_key: wallet.account.publicKey,
    proof: { ...item.proof, state_init: item.proof.state_init ?? wallet.account.walletStateInit },
  };
}
