// Telegram SDK start-up, after the reactjs-template's init.ts: init, mount the components we use, and bind
// theme and viewport CSS variables (Tailwind reads --tg-theme-*; layout reads --tg-viewport-*).
import {
  backButton,
  init as initSDK,
  mainButton,
  miniApp,
  retrieveLaunchParams,
  retrieveRawInitData,
  themeParams,
  viewport,
} from '@telegram-apps/sdk-react';
import { isTelegramMocked } from './environment';
import { applyPalette, fallbackTheme, forcedTheme, isDarkColor, PALETTES } from './theme';

export interface TelegramSession {
  /** Raw initData, sent as `Authorization: tma <initData>`. */
  initData: string;
  platform: string;
}

/** Starts the SDK. Throws when the page isn't running in Telegram (nor in the local mock). */
export function initTelegram(): TelegramSession {
  const lp = retrieveLaunchParams();
  initSDK();
  backButton.mount.ifAvailable();
  mainButton.mount.ifAvailable();
  if (miniApp.mountSync.isAvailable()) {
    miniApp.mountSync();
    themeParams.bindCssVars.ifAvailable();
  }
  if (viewport.mount.isAvailable()) {
    viewport
      .mount()
      .then(() => {
        viewport.bindCssVars.ifAvailable();
        viewport.expand.ifAvailable();
      })
      .catch((err: unknown) => console.warn('[cocoon] viewport mount failed', err));
  }
  // `?theme=` wins outside Telegram, after the SDK bound its variables (screenshots in both themes).
  const forced = isTelegramMocked() ? forcedTheme(location.search) : null;
  if (forced) applyPalette(PALETTES[forced]);
  syncDarkClass();
  miniApp.ready.ifAvailable();
  return { initData: retrieveRawInitData() ?? '', platform: String(lp.tgWebAppPlatform ?? 'unknown') };
}

/** Fallback colours before (or without) the SDK, so the first paint already has the right theme. */
export function applyFallbackTheme(): void {
  applyPalette(PALETTES[fallbackTheme(location.search)]);
  syncDarkClass();
}

function syncDarkClass(): void {
  const bg = getComputedStyle(document.documentElement).getPropertyValue('--tg-theme-bg-color');
  document.documentElement.classList.toggle('dark', isDarkColor(bg));
}
