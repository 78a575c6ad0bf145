// Development only: a Telegram environment outside Telegram. Imported dynamically behind LOCAL_MODE, so a
// production build contains none of it. The initData comes from the proxy's POST /dev/init-data, signed
// with the local dev bot token, so the real proxy accepts it.
import { emitEvent, isTMA, mockTelegramEnv } from '@telegram-apps/sdk-react';
import { PROXY_URL } from '../env';
import { markTelegramMocked } from './environment';
import { fallbackTheme, PALETTES } from './theme';

const DEFAULT_TELEGRAM_ID = 1_000_001;

/** `?tgUser=<id>&tgName=<name>` picks the dev user (e2e specs run several users side by side). */
export function devUser(search: string): { telegramId: number; firstName: string } {
  const q = new URLSearchParams(search);
  const id = Number(q.get('tgUser'));
  return {
    telegramId: Number.isSafeInteger(id) && id > 0 ? id : DEFAULT_TELEGRAM_ID,
    firstName: q.get('tgName') || 'Dev',
  };
}

/** Asks the local proxy for signed initData; null when it can't (the app then shows its error states). */
export async function fetchDevInitData(
  user: { telegramId: number; firstName: string },
  fetchImpl: typeof fetch = fetch,
): Promise<string | null> {
  try {
    const res = await fetchImpl(`${PROXY_URL}/dev/init-data`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(user),
    });
    if (!res.ok) return null;
    const body = (await res.json()) as { initData?: unknown };
    return typeof body.initData === 'string' ? body.initData : null;
  } catch {
    return null;
  }
}

/** Unsigned initData so the UI still renders when the proxy is down; the proxy will reject it. */
function unsignedInitData(user: { telegramId: number; firstName: string }): string {
  return new URLSearchParams([
    ['auth_date', String(Math.floor(Date.now() / 1000))],
    ['user', JSON.stringify({ id: user.telegramId, first_name: user.firstName })],
    ['signature', 'unsigned'],
    ['hash', '0'.repeat(64)],
  ]).toString();
}

/**
 * Mocks Telegram when the page isn't in Telegram. Returns the initData to authenticate with (null when the
 * page is in Telegram: use the real launch params).
 */
export async function mockTelegramIfOutside(): Promise<string | null> {
  if (await isTMA('complete')) return null;
  const user = devUser(location.search);
  const initData = (await fetchDevInitData(user)) ?? unsignedInitData(user);
  const theme = PALETTES[fallbackTheme(location.search)];
  const noInsets = { left: 0, top: 0, bottom: 0, right: 0 } as const;
  mockTelegramEnv({
    resetPostMessage: true,
    onEvent(e) {
      if (e[0] === 'web_app_request_theme') return emitEvent('theme_changed', { theme_params: theme });
      if (e[0] === 'web_app_request_viewport') {
        return emitEvent('viewport_changed', {
          height: window.innerHeight,
          width: window.innerWidth,
          is_expanded: true,
          is_state_stable: true,
        });
      }
      if (e[0] === 'web_app_request_content_safe_area')
        return emitEvent('content_safe_area_changed', noInsets);
      if (e[0] === 'web_app_request_safe_area') return emitEvent('safe_area_changed', noInsets);
    },
    launchParams: new URLSearchParams([
      ['tgWebAppThemeParams', JSON.stringify(theme)],
      // The SDK's launch-param parser insists on a `signature` field (Telegram's Ed25519 one); initData
      // signed without it would make the whole mock invalid, so it then stays out of the launch params and
      // the app authenticates with the raw string returned below.
      ...(new URLSearchParams(initData).has('signature') ? [['tgWebAppData', initData]] : []),
      ['tgWebAppVersion', '8.4'],
      ['tgWebAppPlatform', 'tdesktop'],
    ]),
  });
  markTelegramMocked();
  console.info('[cocoon] Outside Telegram: using a mocked Telegram environment (local mode only).');
  return initData;
}
