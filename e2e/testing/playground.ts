// The Playground as a user drives it: open it at `url`, wait for `model` to be picked, summarize `lines`
// (at most 64 tokens), and wait for the receipt; answers the receipt line.
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

export async function summarizeInPlayground(
  page: Page,
  url: string,
  model: string,
  lines: string[],
): Promise<string> {
  await page.goto(url);
  await expect.poll(() => page.getByTestId('playground-model').inputValue(), { timeout: 20_000 }).toBe(model);
  await page.getByTestId('playground-input').fill(lines.join('\n'));
  await page.getByTestId('playground-max-tokens').fill('64');
  await page.getByTestId('playground-run').click();
  const receipt = page.getByTestId('playground-receipt');
  await receipt.waitFor({ state: 'visible', timeout: 60_000 });
  return (await receipt.textContent())?.trim() ?? '';
}
