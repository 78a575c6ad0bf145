// The one place that turns a connected TON Connect wallet's account and ton_proof reply into the body the
// proxy checks: POST /v1/me/wallet (binding) and `tonProof` of a large withdrawal.
import type { TonProofRequest } from '@cocoon/shared';

/** What proofRequestFor reads of TON Connect's connected wallet. */
export interface ProvenWallet {
  account: { address: string; chain: string; publicKey?: string; walletStateInit?: string };
  /** TON Connect's proof reply: its stateInit may come with the account instead. */
  connectItems?: {
    tonProof?:
      | { proof: Omit<TonProofRequest['proof'], 'state_init'> & { state_init?: string } }
      | { error: unknown };
  };
}

/** The ton_proof request body for a connected wallet's account and proof; null when it has no proof. */
export function proofRequestFor(wallet: ProvenWallet): TonProofRequest | null {
  const item = wallet.connectItems?.tonProof;
  if (!item || !('proof' in item)) return null;
  // TON Connect types the chain as any string and the stateInit as optional; the proxy checks both against
  // the contract and answers a wallet that fails with a 400 naming the field.
  return {
    address: wallet.account.address,
    network: String(wallet.account.chain) as TonProofRequest['network'],
    public_key: wallet.account.publicKey,
    proof: {
      ...item.proof,
      state_init: (item.proof.state_init ?? wallet.account.walletStateInit) as string,
    },
  };
}

/** The payload the wallet signed in its proof, if it sent one. */
export function proofPayloadOf(wallet: ProvenWallet): string | null {
  const item = wallet.connectItems?.tonProof;
  return item && 'proof' in item ? item.proof.payload : null;
}
