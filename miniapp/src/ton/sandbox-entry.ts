// The sandbox wallet as TON Connect UI's wallets list sees it (local mode only; see sandbox-wallet.ts).
// Kept apart from the bridge so the Wallet page can list it without loading the bridge code.

export const SANDBOX_BRIDGE_KEY = 'cocoonSandboxWallet';
export const SANDBOX_APP_NAME = 'cocoon-sandbox';

export function sandboxWalletIcon(): string {
  const origin = typeof location === 'undefined' ? 'http://127.0.0.1:8080' : location.origin;
  return `${origin}/sandbox-wallet.png`;
}

/** The entry TON Connect UI's walletsListConfiguration.includeWallets takes for the sandbox wallet. */
export function sandboxWalletListEntry() {
  return {
    appName: SANDBOX_APP_NAME,
    name: 'Sandbox wallet',
    imageUrl: sandboxWalletIcon(),
    aboutUrl: 'https://github.com/ton-org/sandbox',
    jsBridgeKey: SANDBOX_BRIDGE_KEY,
    platforms: ['ios', 'android', 'chrome', 'firefox', 'safari', 'macos', 'windows', 'linux'] as Array<
      'ios' | 'android' | 'chrome' | 'firefox' | 'safari' | 'macos' | 'windows' | 'linux'
    >,
  };
}
