// Routes the shared client has no typed method for (yet): TON payments. Called through its generic
// `request`, so they use the same auth header and error type. Shapes follow the agreed contract.
import type { CocoonClient } from '@cocoon/shared';

export type TonNetwork = 'sandbox' | 'testnet' | 'mainnet';

export interface TonConfig {
  network: TonNetwork;
  serviceAddress: string;
  minWithdrawalNano: string;
  withdrawalFeeNano: string;
  /** Withdrawals above this (nanoTON) need a fresh ton_proof from the bound wallet (`tonProof`). */
  withdrawalProofAboveNano: string;
  /** How long a wallet change without the old wallet's proof waits before it takes effect, in seconds. */
  walletChangeDelayS: number;
}

/** GET /v1/me/wallet, and the answer of POST /v1/me/wallet and DELETE /v1/me/wallet/pending. */
export interface WalletState {
  /** Where withdrawals go now. */
  wallet: string | null;
  /** A change of that wallet waiting out the cooling-off period; null when none. */
  pendingWallet: string | null;
  /** When the pending change takes effect (ISO time); null when none. */
  pendingWalletAt: string | null;
}

export type WithdrawalStatus = 'pending' | 'sent' | 'confirmed' | 'failed';

export interface WithdrawalView {
  id: string;
  amountNano: string;
  feeNano?: string;
  toAddress?: string;
  status: WithdrawalStatus | string;
  txHash?: string | null;
  createdAt: string;
}

/**
 * TON Connect's account and ton_proof, as the proxy's `TonProofRequestSchema` validates: the body of
 * POST /v1/me/wallet, and `tonProof` of a large withdrawal. Built in one place: `proofRequestFor`.
 */
export interface TonProofRequest {
  address: string;
  network: string;
  public_key?: string;
  proof: {
    timestamp: number;
    domain: { lengthBytes: number; value: string };
    payload: string;
    signature: string;
    state_init?: string;
  };
}

/** The body of POST /v1/me/wallet. `previousWalletProof`: a proof from the wallet bound now, so the change needs no waiting. */
export interface BindWalletRequest extends TonProofRequest {
  previousWalletProof?: TonProofRequest;
}

export interface WithdrawRequest {
  amountNano: bigint;
  idempotencyKey: string;
  /** A fresh proof from the bound wallet: needed above `TonConfig.withdrawalProofAboveNano`. */
  tonProof?: TonProofRequest;
}

export const tonRoutes = {
  config: (c: CocoonClient) => c.request<TonConfig>('GET', '/v1/ton/config'),
  proofPayload: (c: CocoonClient) => c.request<{ payload: string }>('GET', '/v1/ton/proof-payload'),
  /** 200: bound at once; 202: a change of the bound wallet, pending until `pendingWalletAt`. */
  bindWallet: (c: CocoonClient, body: BindWalletRequest) =>
    c.request<WalletState>('POST', '/v1/me/wallet', body),
  wallet: (c: CocoonClient) => c.request<WalletState>('GET', '/v1/me/wallet'),
  cancelWalletChange: (c: CocoonClient) => c.request<WalletState>('DELETE', '/v1/me/wallet/pending'),
  /** 409 `wallet_change_pending` while a wallet change waits; 403 `fresh_proof_required` above the threshold without `tonProof`. */
  withdraw: (c: CocoonClient, { amountNano, idempotencyKey, tonProof }: WithdrawRequest) =>
    c.request<WithdrawalView>('POST', '/v1/me/withdrawals', {
      amountNano: amountNano.toString(),
      idempotencyKey,
      ...(tonProof ? { tonProof } : {}),
    }),
  withdrawals: (c: CocoonClient) => c.request<{ withdrawals: WithdrawalView[] }>('GET', '/v1/me/withdrawals'),
};
