// The one place that turns a connected TON Connect wallet's account and ton_proof reply into the body the
// proxy checks: POST /v1/me/wallet (binding) and `tonProof` of a large withdrawal.
import type { TonProofRequest } from '../api/extra-routes';

/** What proofRequestFor reads of TON Connect's connected wallet. */
export interface ProvenWallet {
  account: { address: string; chain: string; publicKey?: string; walletStateInit?: string };
  connectItems?: { tonProof?: { proof: TonProofRequest['proof'] } | { error: unknown } };
}

/** The ton_proof request body for a connected wallet's account and proof; null when it has no proof. */
export function proofRequestFor(wallet: ProvenWallet): TonProofRequest | null {
  const item = wallet.connectItems?.tonProof;
  if (!item || !('proof' in item)) return null;
  return {
    address: wallet.account.address,
    network: String(wallet.account.chain),
    public_key: wallet.account.publicKey,
    proof: { ...item.proof, state_init: item.proof.state_init ?? wallet.account.walletStateInit },
  };
}

/** The payload the wallet signed in its proof, if it sent one. */
export function proofPayloadOf(wallet: ProvenWallet): string | null {
  const item = wallet.connectItems?.tonProof;
  return item && 'proof' in item ? item.proof.payload : null;
}
