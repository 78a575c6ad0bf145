// The custodial TON routes: the bound wallet, deposits' config and withdrawals.
import { API_ROUTES as CONTRACT } from '../contract/api';
import type { BindWalletRequest, TonProofRequest } from '../contract/ton';
import type { ClientHttp } from './http';

/** A withdrawal as the Mini App asks for it; `tonProof` is needed above the proxy's threshold. */
export interface WithdrawRequest {
  amountNano: bigint;
  idempotencyKey: string;
  tonProof?: TonProofRequest;
}

export function tonMethods({ call }: ClientHttp) {
  return {
    tonConfig: () => call(CONTRACT.tonConfig),
    proofPayload: () => call(CONTRACT.proofPayload),
    /** 200: bound at once; 202: a change of the bound wallet, pending until `pendingWalletAt`. */
    bindWallet: (body: BindWalletRequest) => call(CONTRACT.bindWallet, { body }),
    wallet: () => call(CONTRACT.wallet),
    cancelWalletChange: () => call(CONTRACT.cancelWalletChange),
    /** 409 `wallet_change_pending` while a wallet change waits; 403 `fresh_proof_required` above the threshold without `tonProof`. */
    withdraw: ({ amountNano, idempotencyKey, tonProof }: WithdrawRequest) =>
      call(CONTRACT.withdraw, {
        body: { amountNano: amountNano.toString(), idempotencyKey, ...(tonProof ? { tonProof } : {}) },
      }),
    withdrawals: () => call(CONTRACT.withdrawals),
  };
}
