// The API client for the pages. The shared client (zod schemas and envelope crypto included) is loaded on
// first use rather than with the entry script: the first paint doesn't need it, and it keeps index.html's JS
// within budget. Tests provide their own client through <ApiProvider getClient={...}>.
import type { CocoonClient } from '@cocoon/shared';
import { createContext, type ReactNode, useContext } from 'react';
import { PROXY_URL } from '../env';

export type GetClient = () => Promise<CocoonClient>;

/** Creates the lazy loader for a client authenticated with Telegram initData. */
export function lazyTmaClient(initData: string, baseUrl: string = PROXY_URL): GetClient {
  let client: Promise<CocoonClient> | null = null;
  return () => {
    client ??= import('@cocoon/shared').then(({ createCocoonClient }) =>
      createCocoonClient({ baseUrl, auth: { kind: 'tma', initData } }),
    );
    return client;
  };
}

const ClientContext = createContext<GetClient | null>(null);

export function ApiProvider({ getClient, children }: { getClient: GetClient; children: ReactNode }) {
  return <ClientContext.Provider value={getClient}>{children}</ClientContext.Provider>;
}

export function useGetClient(): GetClient {
  const get = useContext(ClientContext);
  if (!get) throw new Error('useGetClient outside <ApiProvider>');
  return get;
}
