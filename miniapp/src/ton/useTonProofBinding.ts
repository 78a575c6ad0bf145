// Binds the connected wallet to the user with ton_proof, as TON Connect's docs describe: fetch a payload
// from the proxy before the modal opens (and refresh it, it expires), then post the wallet's proof back.
import { useTonConnectUI } from '@tonconnect/ui-react';
import { useEffect, useState } from 'react';
import { useGetClient } from '../api/client';
import { tonRoutes } from '../api/extra-routes';
import { useBindWallet } from '../api/hooks';
import { haptic } from '../telegram/ui';
import { bindRequestFor } from './bind-request';

const PAYLOAD_REFRESH_MS = 10 * 60_000;

/** What the modal's connect request carries, kept for the local-mode sandbox button (SandboxConnectButton). */
export type ConnectRequest = { state: 'loading' } | { state: 'ready'; value?: { tonProof: string } };

export function useTonProofBinding() {
  const [tonConnectUI] = useTonConnectUI();
  const getClient = useGetClient();
  const bind = useBindWallet();
  const [payloadError, setPayloadError] = useState<unknown>(null);
  const [connectRequest, setConnectRequest] = useState<ConnectRequest>({ state: 'loading' });

  useEffect(() => {
    let cancelled = false;
    async function refresh() {
      if (tonConnectUI.connected) return;
      tonConnectUI.setConnectRequestParameters({ state: 'loading' });
      setConnectRequest({ state: 'loading' });
      try {
        const { payload } = await tonRoutes.proofPayload(await getClient());
        if (cancelled) return;
        tonConnectUI.setConnectRequestParameters({ state: 'ready', value: { tonProof: payload } });
        setConnectRequest({ state: 'ready', value: { tonProof: payload } });
        setPayloadError(null);
      } catch (err) {
        if (cancelled) return;
        // Without a payload the wallet can still connect (for deposits), just not be bound.
        tonConnectUI.setConnectRequestParameters(null);
        setConnectRequest({ state: 'ready' });
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

  return { bind, payloadError, tonConnectUI, connectRequest };
}
