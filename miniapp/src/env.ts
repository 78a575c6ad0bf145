// Build-time settings. `LOCAL_MODE` is a compile-time constant so that everything behind it
// (the mocked Telegram environment, the sandbox wallet, the /dev/* routes) is dropped from production builds.

/** True in `vite dev` and in builds made with VITE_COCOON_LOCAL=1 (the local network, e2e). */
export const LOCAL_MODE: boolean = import.meta.env.DEV || import.meta.env.VITE_COCOON_LOCAL === '1';

/** Resolves the proxy's base URL to an absolute one (the worker command shown to rig owners needs it whole). */
export function resolveProxyUrl(
  configured: string | undefined,
  dev: boolean,
  here: string | undefined,
): string {
  // The proxy serves dist/ itself, so by default the API lives on the same origin; `vite dev` runs apart from it.
  const raw = configured || (dev ? 'http://127.0.0.1:8080' : '/');
  const base = here ?? 'http://127.0.0.1:8080/';
  return new URL(raw, base).href.replace(/\/$/, '');
}

/** Where the proxy's API lives, absolute, without a trailing slash. */
export const PROXY_URL: string = resolveProxyUrl(
  import.meta.env.VITE_PROXY_URL,
  import.meta.env.DEV,
  typeof location === 'undefined' ? undefined : location.href,
);
