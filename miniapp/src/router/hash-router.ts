// A tiny hash router: the Mini App is one static page, and Telegram keeps its own launch params in the
// URL, so routes live in the hash (`#/rigs`). No dependency needed for seven flat routes.
import { useSyncExternalStore } from 'react';

/** The path part of a hash, ignoring Telegram's `tgWebApp…` params if they share it. */
export function pathFromHash(hash: string): string {
  const h = hash.replace(/^#/, '');
  if (!h.startsWith('/')) return '/';
  const path = h.split(/[?&]/)[0];
  return path.length > 1 ? path.replace(/\/$/, '') : '/';
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function usePath(): string {
  return useSyncExternalStore(
    subscribe,
    () => pathFromHash(location.hash),
    () => '/',
  );
}

export function navigate(path: string): void {
  if (pathFromHash(location.hash) !== path) location.hash = `#${path}`;
}

/** Back from an inner page: to its parent route (deterministic, also when opened on a deep link). */
export function goBack(parent = '/'): void {
  navigate(parent);
}
