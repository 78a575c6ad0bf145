// Which Telegram environment the app runs in: the real client, or the local mock (dev only).

let mocked = false;

/** Marks the environment as mocked; native-only controls (MainButton, BackButton) then render in the page. */
export function markTelegramMocked(): void {
  mocked = true;
}

export function isTelegramMocked(): boolean {
  return mocked;
}
