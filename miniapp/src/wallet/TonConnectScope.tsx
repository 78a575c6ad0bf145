// TON Connect UI for the pages that need it (Wallet). This module and @tonconnect/ui-react load with
// those pages only. In local mode the modal also offers the injected sandbox wallet.
import { THEME, TonConnectUIProvider } from '@tonconnect/ui-react';
import type { ReactNode } from 'react';
import { sandboxWalletListEntry } from './sandbox-entry';

export function manifestUrl(): string {
  return new URL('/tonconnect-manifest.json', location.href).href;
}

export function TonConnectScope({ children }: { children: ReactNode }) {
  const dark = document.documentElement.classList.contains('dark');
  return (
    <TonConnectUIProvider
      manifestUrl={manifestUrl()}
      uiPreferences={{ theme: dark ? THEME.DARK : THEME.LIGHT }}
      walletsListConfiguration={
        // Inline condition so production builds drop the sandbox wallet entirely.
        import.meta.env.DEV || import.meta.env.VITE_COCOON_LOCAL === '1'
          ? { includeWallets: [sandboxWalletListEntry()] }
          : undefined
      }
    >
      {children}
    </TonConnectUIProvider>
  );
}
