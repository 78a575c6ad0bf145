// The TON payment routes, called through the client's generic `request` (so tests can fake one function).
// Only types come from @cocoon/shared here: the client and its zod schemas load lazily (see client.tsx),
// and the entry script's budget has no room for them. Each call names its contract entry; the compiler
// checks its method, path, body and answer against that entry.
import type { BodyOf, CONTRACT, CocoonClient, ResponseOf, WithdrawRequest } from '@cocoon/shared';

type Routes = typeof CONTRACT;

function call<N extends keyof Routes>(
  c: Pick<CocoonClient, 'request'>,
  _route: N,
  method: Routes[N]['method'],
  path: Routes[N]['path'],
  body?: BodyOf<Routes[N]>,
): Promise<ResponseOf<Routes[N]>> {
  return c.request<ResponseOf<Routes[N]>>(method, path, body);
}

export const tonRoutes = {
  config: (c: CocoonClient) => call(c, 'tonConfig', 'GET', '/v1/ton/config'),
  proofPayload: (c: CocoonClient) => call(c, 'proofPayload', 'GET', '/v1/ton/proof-payload'),
  /** 200: bound at once; 202: a change of the bound wallet, pending until `pendingWalletAt`. */
  bindWallet: (c: CocoonClient, body: BodyOf<Routes['bindWallet']>) =>
    call(c, 'bindWallet', 'POST', '/v1/me/wallet', body),
  wallet: (c: CocoonClient) => call(c, 'wallet', 'GET', '/v1/me/wallet'),
  cancelWalletChange: (c: CocoonClient) => call(c, 'cancelWalletChange', 'DELETE', '/v1/me/wallet/pending'),
  /** 409 `wallet_change_pending` while a wallet change waits; 403 `fresh_proof_required` above the threshold without `tonProof`. */
  withdraw: (c: CocoonClient, { amountNano, idempotencyKey, tonProof }: WithdrawRequest) =>
    call(c, 'withdraw', 'POST', '/v1/me/withdrawals', {
      amountNano: amountNano.toString(),
      idempotencyKey,
      ...(tonProof ? { tonProof } : {}),
    }),
  withdrawals: (c: CocoonClient) => call(c, 'withdrawals', 'GET', '/v1/me/withdrawals'),
};
