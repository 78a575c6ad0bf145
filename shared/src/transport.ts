// How the API client speaks HTTP. In the browser: fetch. In Node (the bot, the developer gateway, tests and
// benches): node:http / node:https with keep-alive agents, because Node's fetch spends about four times the
// CPU per request (its WHATWG request, response and stream objects), and a job is two requests and a stream.
type NodeHttp = typeof import('node:http');
type NodeHttps = typeof import('node:https');

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  ok: boolean;
  statusText: string;
  contentType: string;
  text(): Promise<string>;
  /** The body as text, piece by piece as it arrives. */
  chunks(): AsyncIterable<string>;
  /** Stops reading the body; the connection is closed. */
  cancel(): void;
  /** Reads what is left of a body that is about to end, so the connection can serve the next request. */
  release(): void;
}

export type Transport = (req: HttpRequest) => Promise<HttpResponse>;

export function fetchTransport(doFetch: typeof fetch): Transport {
  return async (r) => {
    const res = await doFetch(r.url, {
      method: r.method,
      headers: r.headers,
      body: r.body,
      signal: r.signal,
    });
    return {
      status: res.status,
      ok: res.ok,
      statusText: res.statusText,
      contentType: res.headers.get('content-type') ?? '',
      text: () => res.text(),
      async *chunks() {
        if (!res.body) return;
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return;
            yield decoder.decode(value, { stream: true });
          }
        } finally {
          reader.releaseLock();
        }
      },
      cancel: () => void res.body?.cancel().catch(() => {}),
      release: () => void res.body?.cancel().catch(() => {}),
    };
  };
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : new DOMException('This operation was aborted', 'AbortError');
}

export function nodeTransport(http: NodeHttp, https: NodeHttps): Transport {
  const agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  };
  return (r) =>
    new Promise((resolve, reject) => {
      const { signal } = r;
      if (signal?.aborted) return reject(abortError(signal));
      const url = new URL(r.url);
      const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
      const request = (protocol === 'https:' ? https : http).request;
      const req = request(url, { method: r.method, headers: r.headers, agent: agents[protocol] }, (res) => {
        res.setEncoding('utf8');
        const status = res.statusCode ?? 0;
        resolve({
          status,
          ok: status >= 200 && status < 300,
          statusText: res.statusMessage ?? '',
          contentType: String(res.headers['content-type'] ?? ''),
          text: async () => {
            let text = '';
            for await (const piece of res) text += piece;
            return text;
          },
          // Leaving the loop early must not destroy the response: release() may still hand it back.
          chunks: () => res.iterator({ destroyOnReturn: false }) as AsyncIterable<string>,
          cancel: () => res.destroy(),
          release: () => res.resume(),
        });
      });
      // Aborting tears the request (or the streaming response) down; the reader then fails.
      const onAbort = () => req.destroy(abortError(signal!));
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('close', () => signal?.removeEventListener('abort', onAbort));
      req.on('error', reject);
      req.end(r.body);
    });
}

// process.getBuiltinModule (Node ≥ 20.16) loads the modules without a static import, so the browser bundle
// never asks for them.
const builtin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  ?.getBuiltinModule;

/** The transport for this runtime, or fetch when the caller brings its own. */
export function defaultTransport(customFetch?: typeof fetch): Transport {
  if (customFetch) return fetchTransport(customFetch);
  const http = builtin?.('node:http') as NodeHttp | undefined;
  const https = builtin?.('node:https') as NodeHttps | undefined;
  if (http && https) return nodeTransport(http, https);
  return fetchTransport(globalThis.fetch.bind(globalThis));
}
