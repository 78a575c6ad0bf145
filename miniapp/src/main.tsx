// Entry: theme first (no flash), the Telegram environment (mocked outside Telegram in local mode only),
// then the app. Outside Telegram in production it explains how to open the app instead.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { lazyTmaClient } from './api/client';
import { applyFallbackTheme, initTelegram } from './telegram/init';
import './index.css';

async function boot(): Promise<void> {
  const root = createRoot(document.getElementById('root')!);
  applyFallbackTheme();
  let mockInitData: string | null = null;
  // Written out (not LOCAL_MODE from env.ts) so the bundler folds it to `false` in production builds and
  // drops the mock and the sandbox wallet chunks entirely.
  if (import.meta.env.DEV || import.meta.env.VITE_COCOON_LOCAL === '1') {
    const { mockTelegramIfOutside } = await import('./telegram/mock-env');
    mockInitData = await mockTelegramIfOutside();
  }
  let initData: string;
  try {
    const session = initTelegram();
    initData = mockInitData ?? session.initData;
  } catch (err) {
    console.warn('[cocoon] not running in Telegram', err);
    const { OutsideTelegram } = await import('./components/OutsideTelegram');
    root.render(<OutsideTelegram />);
    return;
  }
  if (import.meta.env.DEV || import.meta.env.VITE_COCOON_LOCAL === '1') {
    const { installSandboxWallet } = await import('./wallet/sandbox-wallet');
    installSandboxWallet();
  }
  root.render(
    <StrictMode>
      <App getClient={lazyTmaClient(initData)} />
    </StrictMode>,
  );
}

void boot();
