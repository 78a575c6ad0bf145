// The client's HTTP layer: auth headers, JSON requests, API errors and contract-route calls. Each resource's
// methods (me.ts, rigs.ts, ...) and the job runner are built on the one `ClientHttp` a client makes.
import { type BodyOf, type HttpRoute, pathFor, type ResponseOf } from '../contract/route';
import { defaultTransport, type HttpResponse, type Transport } from '../transport';

export type ClientAuth =
  | { kind: 'tma'; initData: string }
  /** The bot's service key, acting for `telegramId` (no user for its own routes: the chat history). */
  | { kind: 'service'; key: string; telegramId?: number | string; name?: string }
  | { kind: 'apiKey'; key: string }
  /** The operator's ADMIN_KEY, for /v1/admin routes only. */
  | { kind: 'admin'; key: string }
  | { kind: 'none' };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** What `call` takes besides the route: its path filled from `params`, `query` appended, `body` sent as JSON. */
export interface CallOptions<R extends HttpRoute> {
  params?: Record<string, string | number>;
  query?: Record<string, string | number | undefined>;
  body?: BodyOf<R>;
  signal?: AbortSignal;
}

export type CallRoute = <R extends HttpRoute>(r: R, o?: CallOptions<R>) => Promise<ResponseOf<R>>;

export interface ClientHttp {
  /** The proxy's URL without a trailing slash. */
  base: string;
  send: Transport;
  headers(extra?: Record<string, string>): Record<string, string>;
  request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T>;
  /** The ApiError an answer that is not ok stands for (its JSON error's code and message when it has one). */
  failure(res: HttpResponse): Promise<ApiError>;
  call: CallRoute;
  /** A route's body as text. */
  text(path: string): Promise<string>;
}

function authHeaders(auth: ClientAuth, extra?: Record<string, string>): Record<string, string> {
  const h: Record<string, string> = { ...extra };
  if (auth.kind === 'tma') h.authorization = `tma ${auth.initData}`;
  if (auth.kind === 'apiKey') h.authorization = `Bearer ${auth.key}`;
  if (auth.kind === 'admin') h.authorization = `Admin ${auth.key}`;
  if (auth.kind === 'service') {
    h.authorization = `Service ${auth.key}`;
    if (auth.telegramId !== undefined) h['x-cocoon-user'] = String(auth.telegramId);
    if (auth.name) h['x-cocoon-user-name'] = encodeURIComponent(auth.name);
  }
  return h;
}

async function failure(res: HttpResponse): Promise<ApiError> {
  const json = await res
    .text()
    .then((t) => JSON.parse(t))
    .catch(() => undefined);
  return new ApiError(res.status, json?.error?.code ?? 'http_error', json?.error?.message ?? res.statusText);
}

export function createClientHttp(opts: {
  baseUrl: string;
  auth: ClientAuth;
  fetch?: typeof fetch;
}): ClientHttp {
  const base = opts.baseUrl.replace(/\/$/, '');
  const send = defaultTransport(opts.fetch);
  const headers = (extra?: Record<string, string>) => authHeaders(opts.auth, extra);

  async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const res = await send({
      method,
      url: `${base}${path}`,
      headers: headers(body === undefined ? undefined : { 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    if (!res.ok) throw await failure(res);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  function call<R extends HttpRoute>(r: R, o: CallOptions<R> = {}): Promise<ResponseOf<R>> {
    let path = pathFor(r, o.params);
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) q.set(k, String(v));
    const qs = q.toString();
    if (qs) path += `?${qs}`;
    return request<ResponseOf<R>>(r.method, path, o.body, o.signal);
  }

  async function text(path: string): Promise<string> {
    const res = await send({ method: 'GET', url: `${base}${path}`, headers: headers() });
    if (!res.ok) throw await failure(res);
    return res.text();
  }

  return { base, send, headers, request, failure, call, text };
}
