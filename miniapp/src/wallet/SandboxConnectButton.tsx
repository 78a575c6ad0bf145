// Local mode only (see sandbox-wallet.ts). TON Connect UI (2.4.x) switches to its phone layout at ≤ 440 px
// or in any iOS/Android browser (Telegram's included), and that modal connects wallets only by universal
// link or QR code, never through an injected JS bridge: the sandbox wallet can't be picked there. This
// button connects it through the same TON Connect connector the modal drives, with the JS bridge
// (`{ jsBridgeKey }`) and the same connect request (the ton_proof payload), so binding and sendTransaction
// work as they do from the desktop modal. Render it only behind an inline local-mode condition so that
// production builds drop it.
import { useTonConnectUI, useTonWallet } from '@tonconnect/ui-react';
import { useEffect, useState } from 'react';
import { errorMessage } from '../api/errors';
import { Button } from '../components/ui';
import { SANDBOX_BRIDGE_KEY } from './sandbox-entry';
import type { ConnectRequest } from './useTonProofBinding';

export function SandboxConnectButton({ connectRequest }: { connectRequest: ConnectRequest }) {
  const [tonConnectUI] = useTonConnectUI();
  const wallet = useTonWallet();
  const [state, setState] = useState<{ kind: 'idle' | 'connecting' } | { kind: 'error'; error: unknown }>({
    kind: 'idle',
  });

  useEffect(
    () =>
      tonConnectUI.connector.onStatusChange(
        () => setState({ kind: 'idle' }),
        (error) => setState((s) => (s.kind === 'connecting' ? { kind: 'error', error } : s)),
      ),
    [tonConnectUI],
  );

  if (wallet) return null;
  const loading = connectRequest.state === 'loading';

  function connect() {
    if (connectRequest.state !== 'ready') return;
    setState({ kind: 'connecting' });
    try {
      tonConnectUI.connector.connect({ jsBridgeKey: SANDBOX_BRIDGE_KEY }, connectRequest.value);
    } catch (error) {
      setState({ kind: 'error', error });
    }
  }

  return (
    <div className="pt-2" data-testid="sandbox-connect">
      <Button
        variant="secondary"
        className="w-full"
        busy={state.kind === 'connecting' || loading}
        onClick={connect}
        data-testid="sandbox-connect-button"
      >
        Connect sandbox wallet
      </Button>
      <p className="pt-1 text-[13px] text-hint">
        Local mode: a test wallet on the local sandbox chain, connected through TON Connect's JS bridge.
      </p>
      {state.kind === 'error' && (
        <p className="pt-1 text-[13px] text-destructive" data-testid="sandbox-connect-error">
          {errorMessage(state.error)}
        </p>
      )}
    </div>
  );
}
