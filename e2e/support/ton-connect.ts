// Connecting the Mini App's injected sandbox wallet through the real TON Connect UI modal, as a person does:
// "Connect Wallet" → pick "Sandbox wallet" in the list → "Browser Extension" (the JS bridge).
import type { Page } from 'playwright-core';

export async function connectSandboxWallet(page: Page): Promise<void> {
  await page.locator('#ton-connect-button button').first().click();
  const modal = page.locator('[data-tc-wallets-modal-container="true"]');
  await modal.waitFor({ state: 'visible' });
  // In local mode the sandbox wallet is listed first; it is "Installed" (its bridge is on window).
  const entry = modal.locator('[data-tc-wallet-item="true"]').filter({ hasText: 'Sandbox wallet' }).first();
  await entry.click();
  // The wallet's page in the modal: it opens on the QR code (the entry lists phone platforms too);
  // "Browser Extension" connects through the injected bridge, with the ton_proof request.
  const extension = modal.getByText('Browser Extension', { exact: true });
  await extension.waitFor({ state: 'visible' });
  await extension.click();
  await modal.waitFor({ state: 'hidden', timeout: 20_000 });
}
