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
    // Browser-extension platforms only. With 'ios'/'android' listed, TON Connect UI's desktop modal opens the
    // wallet on a QR code, and with 'macos'/'windows'/'linux' it offers a desktop-app link: neither can
    // reach an injected wallet. With these, picking it in the desktop modal connects at once through the JS
    // bridge. The phone layout (≤ 440 px, or any iOS/Android browser) connects wallets by universal link
    // only and doesn't list it; SandboxConnectButton connects it there.
    platforms: ['chrome', 'firefox', 'safari'] as Array<'chrome' | 'firefox' | 'safari'>,
  };
}
