// After Telegram says "paid", the credit lands when the bot has reported the payment and the proxy has
// confirmed the charge with Telegram: poll the purchase (and refresh the balance) for a little while.
import type { CocoonClient, StarsPurchaseView } from '@cocoon/shared';

/** Gaps between polls, about 30 s in all. */
const POLL_MS = [300, 700, 1_000, 1_000, 2_000, 2_000, 3_000, 5_000, 5_000, 10_000];

/**
 * Resolves with the purchase once it is no longer pending (credited, or refunded/reversed meanwhile), or null
 * when it still isn't after the last poll. `onPoll` runs after each poll (the page refreshes its balance).
 */
export async function waitForCredit(
  getClient: () => Promise<CocoonClient>,
  purchaseId: string,
  onPoll: () => void,
  signal?: AbortSignal,
): Promise<StarsPurchaseView | null> {
  for (const ms of POLL_MS) {
    await new Promise((r) => setTimeout(r, ms));
    if (signal?.aborted) return null;
    let purchases: StarsPurchaseView[];
    try {
      ({ purchases } = await (await getClient()).starsPurchases());
    } catch {
      continue; // a blip: the next poll may get through
    }
    onPoll();
    const purchase = purchases.find((p) => p.id === purchaseId);
    if (purchase && purchase.state !== 'pending') return purchase;
  }
  return null;
}
