// What one HTTP route of the proxy is: method, path, the request parts it validates and the response it
// answers with (modelled on hono-open-api-starter's createRoute). The proxy registers each route from its
// entry; the clients type their calls from it.
import { z } from 'zod';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRoute {
  method: HttpMethod;
  /** Fastify's form: `/v1/jobs/:id`. */
  path: string;
  request: { params?: z.ZodType; query?: z.ZodType; body?: z.ZodType };
  /** The JSON body of a success answer (strict: no field the schema doesn't name). */
  response: z.ZodType;
  /** Success statuses; 200 when absent. */
  status?: readonly number[];
  /**
   * Set when the route answers with server-sent events (always, or with `Accept: text/event-stream`):
   * each event's data is one of these.
   */
  events?: z.ZodType;
}

/** Declares a route, keeping its literal types. */
export function route<const R extends HttpRoute>(r: R): R {
  return r;
}

/** A GET that takes no params, query or body: most of what a caller reads about itself. */
export function getRoute<const P extends string, R extends z.ZodType>(path: P, response: R) {
  return route({ method: 'GET', path, request: {}, response });
}

/** The answer that is one list under its name: `{ [key]: [item, …] }`. */
export function listOf<const K extends string, T extends z.ZodType>(key: K, item: T) {
  return z.strictObject({ [key]: z.array(item) } as Record<K, z.ZodArray<T>>);
}

type Part<R extends HttpRoute, K extends keyof HttpRoute['request']> = R['request'][K] extends z.ZodType
  ? z.output<R['request'][K]>
  : undefined;

/** The request parts as the proxy's handler gets them (parsed). */
export interface ParsedRequest<R extends HttpRoute> {
  params: Part<R, 'params'>;
  query: Part<R, 'query'>;
  body: Part<R, 'body'>;
}

/** The JSON body a client sends. */
export type BodyOf<R extends HttpRoute> = R['request']['body'] extends z.ZodType
  ? z.input<R['request']['body']>
  : undefined;

/** The JSON body of a success answer. */
export type ResponseOf<R extends HttpRoute> = z.infer<R['response']>;

/** `path` with `:name` segments filled in (URI-encoded). */
export function pathFor(r: Pick<HttpRoute, 'path'>, params: Record<string, string | number> = {}): string {
  return r.path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`${r.path}: no value for :${name}`);
    return encodeURIComponent(String(v));
  });
}

/** An ISO 8601 time as `Date.toISOString()` writes it. */
export const isoTime = z.iso.datetime();

/** Every 4xx and 5xx answer: what went wrong and, for a 4xx, what to fix. */
export const apiErrorBody = z.strictObject({
  error: z.strictObject({ code: z.string(), message: z.string() }),
});
export type ApiErrorBody = z.infer<typeof apiErrorBody>;
