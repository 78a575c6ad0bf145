// Binds the connected wallet to the user with ton_proof, as TON Connect's docs describe: fetch a payload
// from the proxy before the modal opens (and refresh it, it expires), then post the wallet's proof back.
import { useTonConnectUI } from '@tonconnect/ui-react';
import { useEffect, useState } from 'react';
import { useGetClient } from '../api/client';
import { type BindWalletRequest, tonRoutes } from '../api/extra-routes';
import { useBindWallet } from '../api/hooks';
import { haptic } from '../telegram/ui';

const PAYLOAD_REFRESH_MS = 10 * 60_000;

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

export function useTonProofBinding() {
  const [tonConnectUI] = useTonConnectUI();
  const getClient = useGetClient();
  const bind = useBindWallet();
  const [payloadError, setPayloadError] = useState<unknown>(null);

  useEffect(() => {
    let cancelled = false;
    async function refresh() {
      if (tonConnectUI.connected) return;
      tonConnectUI.setConnectRequestParameters({ state: 'loading' });
      try {
        const { payload } = await tonRoutes.proofPayload(await getClient());
        if (cancelled) return;
        tonConnectUI.setConnectRequestParameters({ state: 'ready', value: { tonProof: payload } });
        setPayloadError(null);
      } catch (err) {
        if (cancelled) return;
        // Without a payload the wallet can still connect (for deposits), just not be bound.
        tonConnectUI.setConnectRequestParameters(null);
        setPayloadError(err);
      }
    }
    void refresh();
    const timer = setInterval(refresh, PAYLOAD_REFRESH_MS);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [tonConnectUI, getClient]);

  const { mutate } = bind;
  useEffect(
    () =>
      tonConnectUI.onStatusChange((wallet) => {
        if (!wallet) return;
        const body = bindRequestFor(wallet as Parameters<typeof bindRequestFor>[0]);
        if (!body) return;
        mutate(body, { onSuccess: () => haptic('success'), onError: () => haptic('error') });
      }),
    [tonConnectUI, mutate],
  );

  return { bind, payloadError, tonConnectUI };
}
