// Binds the connected wallet to the user with ton_proof, as TON Connect's docs describe: fetch a payload
// from the proxy before the modal opens (and refresh it: it expires, and it is single-use, so again after a
// disconnect), then post the wallet's proof back. A proof asked for a large withdrawal (fresh-proof.ts) is
// not posted here: its payload is reserved for that withdrawal.
import { useTonConnectUI } from '@tonconnect/ui-react';
import { useEffect, useState } from 'react';
import { useGetClient } from '../api/client';
import { useBindWallet } from '../api/hooks';
import { haptic } from '../telegram/ui';
import { isReservedProofPayload, onProofRequestEnd, proofRequestActive } from './fresh-proof';
import { proofPayloadOf, proofRequestFor } from './proof-request';

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
      // While a withdrawal proof is asked for, the connect request is that one's.
      if (tonConnectUI.connected || proofRequestActive()) return;
      tonConnectUI.setConnectRequestParameters({ state: 'loading' });
      setConnectRequest({ state: 'loading' });
      try {
        const { payload } = await (await getClient()).proofPayload();
        if (cancelled || proofRequestActive()) return;
        tonConnectUI.setConnectRequestParameters({ state: 'ready', value: { tonProof: payload } });
        setConnectRequest({ state: 'ready', value: { tonProof: payload } });
        setPayloadError(null);
      } catch (err) {
        if (cancelled || proofRequestActive()) return;
        // Without a payload the wallet can still connect (for deposits), just not be bound.
        tonConnectUI.setConnectRequestParameters(null);
        setConnectRequest({ state: 'ready' });
        setPayloadError(err);
      }
    }
    void refresh();
    const timer = setInterval(refresh, PAYLOAD_REFRESH_MS);
    // A payload is good for one proof: after a disconnect (or a withdrawal proof), fetch a new one.
    const offStatus = tonConnectUI.onStatusChange((wallet) => {
      if (!wallet) void refresh();
    });
    const offProof = onProofRequestEnd(() => void refresh());
    return () => {
      cancelled = true;
      clearInterval(timer);
      offStatus();
      offProof();
    };
  }, [tonConnectUI, getClient]);

  const { mutate } = bind;
  useEffect(
    () =>
      tonConnectUI.onStatusChange((wallet) => {
        if (!wallet) return;
        const proven = wallet as Parameters<typeof proofRequestFor>[0];
        // A proof for a withdrawal: posting it here would spend its payload.
        if (isReservedProofPayload(proofPayloadOf(proven))) return;
        const body = proofRequestFor(proven);
        if (!body) return;
        mutate(body, { onSuccess: () => haptic('success'), onError: () => haptic('error') });
      }),
    [tonConnectUI, mutate],
  );

  return { bind, payloadError, tonConnectUI, connectRequest };
}
