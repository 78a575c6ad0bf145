// react-query hooks over the shared client: one per resource, with the refresh cadence each screen needs.
import type { BindWalletRequest, CocoonClient, RunJobOptions, WithdrawRequest } from '@cocoon/shared';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ClientOptions, useGetClient } from './client';

export const keys = {
  me: ['me'] as const,
  ledger: ['me', 'ledger'] as const,
  jobs: ['me', 'jobs'] as const,
  market: ['market'] as const,
  models: ['models'] as const,
  rigs: ['rigs'] as const,
  apiKeys: ['me', 'api-keys'] as const,
  tonConfig: ['ton', 'config'] as const,
  withdrawals: ['me', 'withdrawals'] as const,
  wallet: ['me', 'wallet'] as const,
  onchainConfig: ['onchain', 'config'] as const,
  onchain: ['me', 'onchain'] as const,
  starsOffer: ['stars', 'offer'] as const,
  starsPurchases: ['me', 'stars', 'purchases'] as const,
};

function useClientQuery<T>(
  key: readonly unknown[],
  fn: (c: CocoonClient) => Promise<T>,
  opts: { refetchInterval?: number; enabled?: boolean; staleTime?: number } = {},
) {
  const getClient = useGetClient();
  return useQuery({ queryKey: key, queryFn: async () => fn(await getClient()), ...opts });
}

export const useMe = () => useClientQuery(keys.me, (c) => c.me(), { refetchInterval: 15_000 });
export const useLedger = () => useClientQuery(keys.ledger, (c) => c.ledger());
export const useMyJobs = () => useClientQuery(keys.jobs, (c) => c.myJobs(), { refetchInterval: 15_000 });
export const useMarket = () => useClientQuery(keys.market, (c) => c.market(), { refetchInterval: 15_000 });
export const useModels = () => useClientQuery(keys.models, (c) => c.models());
export const useRigs = () => useClientQuery(keys.rigs, (c) => c.rigs(), { refetchInterval: 10_000 });
export const useApiKeys = () => useClientQuery(keys.apiKeys, (c) => c.apiKeys());
export const useTonConfig = () => useClientQuery(keys.tonConfig, (c) => c.tonConfig());
/** The bound wallet and any pending change of it (refreshed often: a change someone else started shows up). */
export const useWalletState = () =>
  useClientQuery(keys.wallet, (c) => c.wallet(), { refetchInterval: 30_000 });
export const useWithdrawals = (refetchInterval?: number) =>
  useClientQuery(keys.withdrawals, (c) => c.withdrawals(), { refetchInterval });

/** A mutation that refreshes the given queries when it succeeds. */
function useClientMutation<A, T>(
  fn: (c: CocoonClient, arg: A) => Promise<T>,
  invalidate: Array<readonly unknown[]>,
  clientFor?: (arg: A) => ClientOptions,
) {
  const getClient = useGetClient();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (arg: A) => fn(await getClient(clientFor?.(arg)), arg),
    onSuccess: () => Promise.all(invalidate.map((queryKey) => qc.invalidateQueries({ queryKey }))),
  });
}

export const useRegisterRig = () => useClientMutation((c, name: string) => c.registerRig(name), [keys.rigs]);
export const useSetRigPaused = () =>
  useClientMutation((c, a: { id: string; paused: boolean }) => c.setRigPaused(a.id, a.paused), [keys.rigs]);
export const useSetAsk = () =>
  useClientMutation(
    (c, a: { id: string; model: string; priceNanoPer1k: bigint }) =>
      c.setAsk(a.id, a.model, a.priceNanoPer1k),
    [keys.rigs, keys.market],
  );
export const useRotateRigToken = () =>
  useClientMutation((c, id: string) => c.rotateRigToken(id), [keys.rigs]);
export const useRevokeRig = () => useClientMutation((c, id: string) => c.revokeRig(id), [keys.rigs]);
/** The audits that concern a rig (the evidence behind its standing), fetched when shown. */
export const useRigAudits = (id: string, enabled: boolean) =>
  useClientQuery([...keys.rigs, id, 'audits'], (c) => c.rigAudits(id), { enabled });
/** A rig's last 30 days, fill and ask estimate, fetched when shown. */
export const useRigHistory = (id: string, enabled: boolean) =>
  useClientQuery([...keys.rigs, id, 'history'], (c) => c.rigHistory(id), { enabled });
export const useReleaseRig = () => useClientMutation((c, id: string) => c.releaseRig(id), [keys.rigs]);
export const useAttestRig = () => useClientMutation((c, id: string) => c.attestRig(id), [keys.rigs]);
export const useAddBond = () =>
  useClientMutation(
    (c, a: { id: string; amountNano: bigint }) => c.addBond(a.id, a.amountNano),
    [keys.rigs, keys.me],
  );
export const useWithdrawBond = () =>
  useClientMutation((c, id: string) => c.withdrawBond(id), [keys.rigs, keys.me]);
export const useCreateApiKey = () =>
  useClientMutation((c, name: string) => c.createApiKey(name), [keys.apiKeys]);
export const useRevokeApiKey = () => useClientMutation((c, id: string) => c.revokeApiKey(id), [keys.apiKeys]);
export const useBindWallet = () =>
  useClientMutation((c, body: BindWalletRequest) => c.bindWallet(body), [keys.me, keys.wallet]);
export const useCancelWalletChange = () =>
  useClientMutation((c, _: undefined) => c.cancelWalletChange(), [keys.me, keys.wallet]);
export const useWithdraw = () =>
  useClientMutation(
    (c, a: WithdrawRequest) => c.withdraw(a),
    [keys.me, keys.ledger, keys.withdrawals, keys.wallet],
  );
/** Cancels a job waiting in the queue for a rig: its hold goes back at once. */
export const useCancelJob = () =>
  useClientMutation((c, id: string) => c.cancelJob(id), [keys.me, keys.jobs, keys.ledger]);
/** A `minTrust: 'tdx'` job runs on the client that checks rigs' TDX evidence itself before sealing. */
export const useRunJob = () =>
  useClientMutation(
    (c, o: RunJobOptions) => c.runJob(o),
    [keys.me, keys.jobs, keys.ledger],
    (o) => ({
      confidential: o.minTrust === 'tdx',
    }),
  );

/** Whether this network offers on-chain accounts, its vault and close delay. */
export const useOnchainConfig = () =>
  useClientQuery(keys.onchainConfig, (c) => c.onchainConfig(), { staleTime: 60_000 });
/** The user's account contract and the ledger's mirror of it (only asked for where the network offers them). */
export const useOnchainAccount = (enabled: boolean) =>
  useClientQuery(keys.onchain, (c) => c.onchainAccount(), { enabled, refetchInterval: 15_000 });
/** Jobs are paid from the account contract from now on (it must be deployed with a spend key). */
export const useRegisterOnchain = () =>
  useClientMutation((c, _: undefined) => c.registerOnchain(), [keys.onchain, keys.me]);
/** Moves `amountNano` of a rig owner's earnings to an operator-signed payout for their RigAccount. */
export const useOnchainPayout = () =>
  useClientMutation(
    (c, amountNano: bigint) => c.onchainPayout(amountNano),
    [keys.onchain, keys.me, keys.ledger],
  );

/** The Stars packs, the rate and the rules (shown before every purchase). */
export const useStarsOffer = () =>
  useClientQuery(keys.starsOffer, (c) => c.starsOffer(), { staleTime: 60_000 });
export const useStarsPurchases = () => useClientQuery(keys.starsPurchases, (c) => c.starsPurchases());
/** A purchase waiting for its payment, with the invoice link the Mini App opens (nothing to refresh yet). */
export const useCreateStarsInvoice = () =>
  useClientMutation((c, stars: number) => c.createStarsInvoice({ stars, link: true }), []);
/** Refunds a wholly unspent purchase within the window (Telegram refunds the whole charge). */
export const useRefundStarsPurchase = () =>
  useClientMutation(
    (c, id: string) => c.refundStarsPurchase(id),
    [keys.starsPurchases, keys.me, keys.ledger],
  );
