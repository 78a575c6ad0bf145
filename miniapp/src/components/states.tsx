// Loading, error and empty states, shared so every screen handles all three the same way.
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { errorMessage } from '../api/errors';
import { Button, Skeleton } from './ui';

export function ErrorState({
  error,
  onRetry,
  testId = 'error',
}: {
  error: unknown;
  onRetry?: () => void;
  testId?: string;
}) {
  return (
    <div role="alert" data-testid={testId} className="flex flex-col items-start gap-2 py-1">
      <p className="text-[15px] text-destructive">{errorMessage(error)}</p>
      {onRetry && (
        <Button variant="secondary" onClick={onRetry}>
          Try again
        </Button>
      )}
    </div>
  );
}

export function EmptyState({ children, testId = 'empty' }: { children: ReactNode; testId?: string }) {
  return (
    <p data-testid={testId} className="py-2 text-center text-[15px] text-hint">
      {children}
    </p>
  );
}

export function LoadingRows({ rows = 3 }: { rows?: number }) {
  return (
    <div role="status" aria-label="Loading" className="flex flex-col gap-3 py-1">
      {Array.from({ length: rows }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: static placeholders
        <Skeleton key={i} className={i % 2 ? 'h-5 w-2/3' : 'h-5 w-full'} />
      ))}
    </div>
  );
}

/** Renders a query's data, or its loading skeleton (same height as `rows` lines), or its error with retry. */
export function QueryView<T>({
  query,
  rows,
  isEmpty,
  empty,
  children,
}: {
  query: UseQueryResult<T>;
  rows?: number;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <LoadingRows rows={rows} />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  if (isEmpty?.(query.data)) return <EmptyState>{empty ?? 'Nothing here yet.'}</EmptyState>;
  return <>{children(query.data)}</>;
}

/**
 * A query whose answer is a list: QueryView with "empty" meaning no items, and `children` given the items
 * (and the whole answer, for what sits around them).
 */
export function QueryList<T, I>({
  query,
  rows,
  items,
  empty,
  children,
}: {
  query: UseQueryResult<T>;
  rows?: number;
  items: (data: T) => I[];
  empty: ReactNode;
  children: (items: I[], data: T) => ReactNode;
}) {
  return (
    <QueryView query={query} rows={rows} isEmpty={(d) => items(d).length === 0} empty={empty}>
      {(d) => children(items(d), d)}
    </QueryView>
  );
}
