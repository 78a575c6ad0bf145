// Turning failures into one line a user can act on. Duck-typed on the shared ApiError (status, code) so the
// entry script needn't load the client module to recognise one.

export interface ApiErrorLike {
  name: string;
  status: number;
  code: string;
  message: string;
}

export function isApiError(err: unknown): err is ApiErrorLike {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { name?: unknown }).name === 'ApiError' &&
    typeof (err as { status?: unknown }).status === 'number'
  );
}

export function errorMessage(err: unknown): string {
  if (isApiError(err)) {
    if (err.status === 401) return 'Not signed in: open Cocoon from Telegram (the session may have expired).';
    if (err.status === 404 && err.code === 'http_error')
      return 'This feature is not available on this proxy yet.';
    return err.message || `Request failed (${err.status})`;
  }
  if (err instanceof TypeError) return "Can't reach the Cocoon proxy. Check your connection and try again.";
  if (err instanceof SyntaxError) return 'The proxy sent an unexpected answer.';
  if (err instanceof Error) return err.message;
  return String(err);
}

/** 4xx answers won't change on retry; network errors and 5xx might. */
export function shouldRetry(failureCount: number, err: unknown): boolean {
  if (isApiError(err) && err.status >= 400 && err.status < 500) return false;
  return failureCount < 2;
}
