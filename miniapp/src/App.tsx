// The app shell: providers, the current page (lazy) and the tab bar.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { Suspense, useState } from 'react';
import { ApiProvider, type GetClient } from './api/client';
import { shouldRetry } from './api/errors';
import { ErrorBoundary } from './components/ErrorBoundary';
import { PageHeader } from './components/PageHeader';
import { LoadingRows } from './components/states';
import { TabBar } from './components/TabBar';
import { usePath } from './router/hash-router';
import { findRoute } from './router/routes';

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: shouldRetry, staleTime: 5_000, refetchOnWindowFocus: false },
      mutations: { retry: false },
    },
  });
}

export function App({ getClient, queryClient }: { getClient: GetClient; queryClient?: QueryClient }) {
  const [qc] = useState(() => queryClient ?? createQueryClient());
  const path = usePath();
  const route = findRoute(path);
  const Page = route.Component;
  return (
    <QueryClientProvider client={qc}>
      <ApiProvider getClient={getClient}>
        <div className="mx-auto flex min-h-[var(--tg-viewport-stable-height,100vh)] max-w-xl flex-col pt-[calc(var(--safe-top)+var(--content-top))] pb-[calc(var(--tabbar-height)+var(--safe-bottom)+8px)]">
          <ErrorBoundary resetKey={route.path}>
            <Suspense
              fallback={
                <>
                  <PageHeader title={route.title} />
                  <div className="bg-section px-4 py-3">
                    <LoadingRows rows={4} />
                  </div>
                </>
              }
            >
              <Page />
            </Suspense>
          </ErrorBoundary>
        </div>
        <TabBar current={route.tab ? route.path : '/'} />
      </ApiProvider>
    </QueryClientProvider>
  );
}
