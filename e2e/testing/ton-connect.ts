// Connecting the Mini App's injected sandbox wallet through TON Connect, as a person does.
// - Phone layout (≤ 440 px, as in Telegram): TON Connect UI's phone modal connects wallets only by universal
//   link / QR, so the Wallet page shows a local-mode "Connect sandbox wallet" button, which drives the same
//   TON Connect connector through the JS bridge with the same ton_proof request.
// - Wider windows: "Connect Wallet" → pick "Sandbox wallet" in the real modal, which connects at once
//   through the JS bridge (the entry lists browser platforms only, so there is no QR step).
import type { Page } from 'playwright-core';

/** TON Connect UI 2.4.x switches to its phone layout at this width and below. */
export const TON_CONNECT_PHONE_MAX_WIDTH = 440;

export async function connectSandboxWallet(page: Page): Promise<void> {
  const width = page.viewportSize()?.width ?? 0;
  if (width <= TON_CONNECT_PHONE_MAX_WIDTH) await connectWithSandboxButton(page);
  else await connectFromModal(page);
}

export async function connectWithSandboxButton(page: Page): Promise<void> {
  const button = page.getByTestId('sandbox-connect-button');
  await button.waitFor({ state: 'visible' });
  // Busy (disabled) until the ton_proof payload is in, as the modal waits for it too.
  await page.waitForFunction(
    () => {
      const b = document.querySelector('[data-testid="sandbox-connect-button"]') as HTMLButtonElement | null;
      return b !== null && !b.disabled;
    },
    undefined,
    { timeout: 20_000 },
  );
  await button.click();
  // Connected: the button goes, and TON Connect UI's own button shows the account.
  await button.waitFor({ state: 'detached', timeout: 20_000 });
}

export async function connectFromModal(page: Page): Promise<void> {
  await page.locator('#ton-connect-button button').first().click();
  const modal = page.locator('[data-tc-wallets-modal-container="true"]');
  await modal.waitFor({ state: 'visible' });
  // In local mode the sandbox wallet is listed first; it is "Installed" (its bridge is on window).
  const entry = modal.locator('[data-tc-wallet-item="true"]').filter({ hasText: 'Sandbox wallet' }).first();
  await entry.click();
  await modal.waitFor({ state: 'hidden', timeout: 20_000 });
}
