// The Hugging Face hub's file API, as much of it as `cocoon-worker pull` needs:
//   GET {endpoint}/api/models/{repo}/revision/{rev}?blobs=true  the commit and its files (`siblings`), each
//       with its size and git blob id, and for LFS files (the weights) their sha256 (`lfs.sha256`);
//   GET {endpoint}/{repo}/resolve/{commit}/{path}               a file's bytes; an LFS file redirects to the
//       hub's CDN (a signed URL), which honours HTTP Range.
// Everything the hub answers is bounded: the listing's bytes and file count, each request's time to headers,
// the idle time between bytes, the redirects followed. HF_TOKEN goes to the endpoint's own origin only, never
// to a redirect target on another host (a CDN URL carries its own signature).
import { z } from 'zod';

export interface HubOptions {
  /** The hub's base URL (HF_ENDPOINT), e.g. https://huggingface.co. */
  endpoint: string;
  /** HF_TOKEN: for gated or private repos. */
  token?: string;
  /** Milliseconds to the response headers, and between any two reads of a body. */
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** A repo id as the hub spells it: `owner/name`. */
export const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
const MAX_LISTING_BYTES = 16 * 1024 * 1024;
const MAX_FILES = 10_000;
const MAX_REDIRECTS = 5;

const sibling = z.object({
  rfilename: z
    .string()
    .min(1)
    .max(512)
    .refine((p) => !p.split('/').some((s) => s === '' || s === '.' || s === '..') && !p.includes('\\'), {
      message: 'must be a relative path without . or .. parts',
    }),
  size: z.number().int().nonnegative(),
  blobId: z.string().regex(/^[0-9a-f]{40}$/),
  lfs: z
    .object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), size: z.number().int().nonnegative() })
    .nullish(),
});
const revisionInfo = z.object({
  sha: z.string().regex(/^[0-9a-f]{40}$/, 'must be a commit hash'),
  siblings: z.array(sibling).max(MAX_FILES),
});

/** A file of a repo at a commit and what its bytes must hash to. */
export interface HubFile {
  path: string;
  size: number;
  /** An LFS file's sha256, or a plain (git) file's blob id: sha1 over `blob <size>\0` and the bytes. */
  check: { kind: 'sha256'; hex: string } | { kind: 'git-sha1'; hex: string };
}

export class HubError extends Error {
  override name = 'HubError';
}

/** The commit a revision points at, and its files. */
export async function listRepoFiles(
  hub: HubOptions,
  repo: string,
  revision: string,
): Promise<{ commit: string; files: HubFile[] }> {
  const url = `${base(hub)}/api/models/${repo}/revision/${encodeURIComponent(revision)}?blobs=true`;
  const res = await hubGet(hub, url);
  if (res.status === 401 || res.status === 403 || res.status === 404) {
    await res.body?.cancel();
    const gated = res.status === 403 ? ' (it may be gated: accept its terms on the hub)' : '';
    throw new HubError(
      `${repo} at revision ${revision} was not found on ${hub.endpoint}${gated}; check the repo id and --revision` +
        (hub.token ? '' : ', and for a private or gated repo set HF_TOKEN'),
    );
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new HubError(`${hub.endpoint} answered ${res.status} listing ${repo}'s files`);
  }
  const text = await readBounded(res, MAX_LISTING_BYTES, hub.timeoutMs, `${repo}'s file listing`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HubError(`${hub.endpoint} sent a file listing for ${repo} that is not JSON`);
  }
  const parsed = revisionInfo.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HubError(
      `${repo}'s file listing is not what the hub sends: ${issue.path.join('.')}: ${issue.message}`,
    );
  }
  return {
    commit: parsed.data.sha,
    files: parsed.data.siblings.map((s) => ({
      path: s.rfilename,
      size: s.lfs ? s.lfs.size : s.size,
      check: s.lfs ? { kind: 'sha256', hex: s.lfs.sha256 } : { kind: 'git-sha1', hex: s.blobId },
    })),
  };
}

/** Where a file's bytes are: pinned to the commit, so a push during the pull can't mix two versions. */
export function resolveUrl(hub: HubOptions, repo: string, commit: string, file: string): string {
  return `${base(hub)}/${repo}/resolve/${commit}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * GET with the hub's rules: redirects followed by hand (at most MAX_REDIRECTS, http(s) only, never from https
 * down to http), the token only on the endpoint's origin, the headers within timeoutMs.
 */
export async function hubGet(
  hub: HubOptions,
  url: string,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  const doFetch = hub.fetch ?? fetch;
  const origin = new URL(base(hub)).origin;
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    const auth: Record<string, string> =
      hub.token && current.origin === origin ? { authorization: `Bearer ${hub.token}` } : {};
    // Bounds the wait for the headers only: a body (gigabytes) is bounded by its idle time (idleBounded).
    const headersDue = new AbortController();
    const timer = setTimeout(() => headersDue.abort(new HubError('no answer in time')), hub.timeoutMs);
    const res = await doFetch(current, {
      headers: { ...headers, ...auth },
      redirect: 'manual',
      signal: signal ? AbortSignal.any([signal, headersDue.signal]) : headersDue.signal,
    })
      .catch((err: unknown) => {
        throw new HubError(
          `${current.host}: ${headersDue.signal.aborted ? 'no answer in time' : reason(err)}`,
        );
      })
      .finally(() => clearTimeout(timer));
    if (res.status < 300 || res.status >= 400 || res.status === 304) return res;
    await res.body?.cancel();
    const location = res.headers.get('location');
    if (!location) throw new HubError(`${current.host} answered ${res.status} without a Location`);
    if (hop >= MAX_REDIRECTS) throw new HubError(`more than ${MAX_REDIRECTS} redirects fetching ${url}`);
    const next = new URL(location, current);
    if (
      !['http:', 'https:'].includes(next.protocol) ||
      (current.protocol === 'https:' && next.protocol === 'http:')
    )
      throw new HubError(
        `${current.host} redirected to ${next.protocol}//${next.host}, which pull does not follow`,
      );
    current = next;
  }
}

/** A body read to text, at most `maxBytes`, each read within `idleMs`. */
async function readBounded(res: Response, maxBytes: number, idleMs: number, what: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of idleBounded(res, idleMs, what)) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new HubError(`${what} is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A response body's chunks; throws when no bytes come for `idleMs` (a stalled connection). */
export async function* idleBounded(res: Response, idleMs: number, what: string): AsyncGenerator<Uint8Array> {
  if (!res.body) return;
  const reader = res.body.getReader();
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new HubError(`${what}: no data for ${idleMs / 1000} s`)), idleMs);
      });
      const step = await Promise.race([reader.read(), idle]).finally(() => clearTimeout(timer));
      if (step.done) return;
      yield step.value;
    }
  } catch (err) {
    throw err instanceof HubError ? err : new HubError(`${what}: ${reason(err)}`);
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

function base(hub: HubOptions): string {
  return hub.endpoint.replace(/\/+$/, '');
}

function reason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'no answer in time';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}
