// The hook the Withdraw form uses to get a fresh ton_proof from the bound wallet (see fresh-proof.ts).

import type { TonProofRequest } from '@cocoon/shared';
import { useTonConnectUI } from '@tonconnect/ui-react';
import { useCallback } from 'react';
import { useGetClient } from '../api/client';
import { requestFreshProof } from './fresh-proof';
import { SANDBOX_APP_NAME, SANDBOX_BRIDGE_KEY } from './sandbox-entry';

export function useFreshWalletProof(): () => Promise<TonProofRequest> {
  const [tonConnectUI] = useTonConnectUI();
  const getClient = useGetClient();
  return useCallback(async () => {
    const { payload } = await (await getClient()).proofPayload();
    return requestFreshProof(
      tonConnectUI,
      payload,
      // Inline condition so production builds drop the sandbox wallet entirely.
      import.meta.env.DEV || import.meta.env.VITE_COCOON_LOCAL === '1'
        ? {
            sandboxAppName: SANDBOX_APP_NAME,
            connectSandbox: (tonProof) =>
              tonConnectUI.connector.connect({ jsBridgeKey: SANDBOX_BRIDGE_KEY }, { tonProof }),
          }
        : {},
    );
  }, [tonConnectUI, getClient]);
}
