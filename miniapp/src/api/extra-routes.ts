// Routes the shared client has no typed method for (yet): TON payments. Called through its generic
// `request`, so they use the same auth header and error type. Shapes follow the agreed contract.
import type { CocoonClient } from '@cocoon/shared';

export type TonNetwork = 'sandbox' | 'testnet' | 'mainnet';

export interface TonConfig {
  network: TonNetwork;
  serviceAddress: string;
  minWithdrawalNano: string;
  withdrawalFeeNano: string;
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

/** The body of POST /v1/me/wallet: TON Connect's account and ton_proof, as `tonProofRequest` validates. */
export interface BindWalletRequest {
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

export const tonRoutes = {
  config: (c: CocoonClient) => c.request<TonConfig>('GET', '/v1/ton/config'),
  proofPayload: (c: CocoonClient) => c.request<{ payload: string }>('GET', '/v1/ton/proof-payload'),
  bindWallet: (c: CocoonClient, body: BindWalletRequest) =>
    c.request<{ wallet: string } & Record<string, unknown>>('POST', '/v1/me/wallet', body),
  withdraw: (c: CocoonClient, amountNano: bigint, idempotencyKey: string) =>
    c.request<WithdrawalView>('POST', '/v1/me/withdrawals', {
      amountNano: amountNano.toString(),
      idempotencyKey,
    }),
  withdrawals: (c: CocoonClient) => c.request<{ withdrawals: WithdrawalView[] }>('GET', '/v1/me/withdrawals'),
};
