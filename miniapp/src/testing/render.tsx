// Test helper: render a page with a fake API client (only the methods the test needs).
import type { CocoonClient } from '@cocoon/shared';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { vi } from 'vitest';
import { ApiProvider, type ClientOptions } from '../api/client';

export function renderWithClient(ui: ReactElement, client: Partial<CocoonClient>) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const getClient = vi.fn((_opts?: ClientOptions) => Promise.resolve(client as CocoonClient));
  const rendered = render(
    <QueryClientProvider client={qc}>
      <ApiProvider getClient={getClient}>{ui}</ApiProvider>
    </QueryClientProvider>,
  );
  return { ...rendered, getClient };
}

/** An error shaped like the shared client's ApiError. */
export function apiError(status: number, code: string, message: string): Error {
  return Object.assign(new Error(message), { name: 'ApiError', status, code });
}
