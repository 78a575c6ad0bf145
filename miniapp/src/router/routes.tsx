// The app's routes, each page its own lazy chunk (TON Connect and charts load only where used).
import { type ComponentType, type LazyExoticComponent, lazy } from 'react';

export interface RouteDef {
  path: string;
  title: string;
  /** Tabs are top-level; the rest are inner pages with a Back button. */
  tab?: { label: string; icon: string };
  Component: LazyExoticComponent<ComponentType>;
}

const page = <K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K) =>
  lazy(() => load().then((m) => ({ default: m[name] })));

export const routes: RouteDef[] = [
  {
    path: '/',
    title: 'Cocoon',
    tab: { label: 'Home', icon: 'M3 10.5 12 3l9 7.5V21h-6v-6H9v6H3z' },
    Component: page(() => import('../pages/HomePage'), 'HomePage'),
  },
  {
    path: '/market',
    title: 'Market',
    tab: { label: 'Market', icon: 'M4 20V10m6 10V4m6 16v-7m5 7H3' },
    Component: page(() => import('../pages/MarketPage'), 'MarketPage'),
  },
  {
    path: '/play',
    title: 'Playground',
    tab: { label: 'Play', icon: 'M7 4v16l13-8z' },
    Component: page(() => import('../pages/PlaygroundPage'), 'PlaygroundPage'),
  },
  {
    path: '/wallet',
    title: 'Wallet',
    tab: { label: 'Wallet', icon: 'M3 7h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H3zm0 0 13-3v3m0 7h2' },
    Component: page(() => import('../pages/wallet/WalletPage'), 'WalletPage'),
  },
  {
    path: '/rigs',
    title: 'My rigs',
    tab: { label: 'Rigs', icon: 'M4 6h16v8H4zm3 12h10M9 14v4m6-4v4' },
    Component: page(() => import('../pages/rigs/RigsPage'), 'RigsPage'),
  },
  { path: '/jobs', title: 'Jobs', Component: page(() => import('../pages/JobsPage'), 'JobsPage') },
  {
    path: '/settings',
    title: 'API keys',
    Component: page(() => import('../pages/SettingsPage'), 'SettingsPage'),
  },
];

export function findRoute(path: string): RouteDef {
  return routes.find((r) => r.path === path) ?? routes[0];
}
