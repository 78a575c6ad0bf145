// A stand-in for the Hugging Face hub on 127.0.0.1, speaking the file API `pull` uses: the revision listing
// with blob ids and LFS sha256s (`?blobs=true`), `resolve/{rev}/{path}` that serves plain files itself and
// redirects LFS files to a second server (the "CDN", another origin) which honours Range. Tests can make it
// cut a download short, corrupt a file, or ask for a token.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface HubServerOptions {
  /** repo id → the folder it serves. */
  repos: Record<string, string>;
  /** Files stored in LFS (served through the CDN with a sha256): by default the .onnx files and their data. */
  isLfs?: (file: string) => boolean;
  /** The commit every revision resolves to. */
  commit?: string;
}

export interface HubServer {
  url: string;
  /** Requests seen, for assertions: method, path, Range and whether a token came along. */
  requests: Array<{ server: 'hub' | 'cdn'; path: string; range?: string; auth: boolean }>;
  /** The next download of `file` stops after `bytes` bytes (the connection is destroyed). */
  cutNext(file: string, bytes: number): void;
  /** Serves other bytes than the listing's checksum for `file`. */
  corrupt(file: string): void;
  /** Every request to the hub (not the CDN) needs `Authorization: Bearer <token>`. */
  requireToken(token: string): void;
  close(): Promise<void>;
}

const defaultLfs = (f: string) => /\.onnx(_data(_\d+)?)?$/.test(f);

export async function startHubServer(o: HubServerOptions): Promise<HubServer> {
  const commit = o.commit ?? 'c0ffee'.padEnd(40, '0');
  const isLfs = o.isLfs ?? defaultLfs;
  const requests: HubServer['requests'] = [];
  const cuts = new Map<string, number>();
  const corrupted = new Set<string>();
  let token: string | undefined;
  const bytesOf = (repo: string, file: string) => {
    const data = readFileSync(path.join(o.repos[repo], file));
    if (!corrupted.has(file)) return data;
    const bad = Buffer.from(data);
    bad[bad.length - 1] ^= 0xff;
    return bad;
  };

  const cdn = await listen((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    requests.push({
      server: 'cdn',
      path: u.pathname,
      range: req.headers.range,
      auth: Boolean(req.headers.authorization),
    });
    const [, , repo1, repo2, ...rest] = u.pathname.split('/').map(decodeURIComponent); // /lfs/<owner>/<name>/<file…>
    const repo = `${repo1}/${repo2}`;
    const file = rest.join('/');
    if (!o.repos[repo] || u.searchParams.get('sig') !== 'ok') return notFound(res);
    serveBytes(req, res, bytesOf(repo, file), file);
  });

  const hub = await listen((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    requests.push({
      server: 'hub',
      path: u.pathname,
      range: req.headers.range,
      auth: Boolean(req.headers.authorization),
    });
    if (token && req.headers.authorization !== `Bearer ${token}`) return repoNotFound(res);
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(u.pathname);
    if (api) {
      const repo = decodeURIComponent(api[1]);
      if (!o.repos[repo]) return repoNotFound(res);
      return json(res, {
        id: repo,
        sha: commit,
        siblings: listFiles(o.repos[repo]).map((file) => {
          const data = readFileSync(path.join(o.repos[repo], file));
          return {
            rfilename: file,
            size: data.length,
            blobId: createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex'),
            ...(isLfs(file)
              ? {
                  lfs: {
                    sha256: createHash('sha256').update(data).digest('hex'),
                    size: data.length,
                    pointerSize: 134,
                  },
                }
              : {}),
          };
        }),
      });
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(u.pathname);
    if (resolve) {
      const repo = decodeURIComponent(resolve[1]);
      const file = resolve[3].split('/').map(decodeURIComponent).join('/');
      if (!o.repos[repo]) return repoNotFound(res);
      if (isLfs(file)) {
        res.writeHead(302, { location: `${cdnUrl}/lfs/${repo}/${resolve[3]}?sig=ok` });
        return res.end();
      }
      return serveBytes(req, res, bytesOf(repo, file), file);
    }
    notFound(res);
  });
  const cdnUrl = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;

  function serveBytes(req: IncomingMessage, res: ServerResponse, data: Buffer, file: string) {
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    if (start > data.length) {
      res.writeHead(416, { 'content-range': `bytes */${data.length}` });
      return res.end();
    }
    const body = data.subarray(start);
    res.writeHead(m ? 206 : 200, {
      'content-length': body.length,
      ...(m ? { 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` } : {}),
    });
    const cut = cuts.get(file);
    if (cut !== undefined) {
      cuts.delete(file);
      res.write(body.subarray(0, cut), () => res.destroy());
      return;
    }
    res.end(body);
  }

  return {
    url: `http://127.0.0.1:${(hub.address() as AddressInfo).port}`,
    requests,
    cutNext: (file, bytes) => cuts.set(file, bytes),
    corrupt: (file) => corrupted.add(file),
    requireToken: (t) => {
      token = t;
    },
    close: async () => {
      await Promise.all([hub, cdn].map((s) => new Promise((r) => s.close(r))));
    },
  };
}

function listFiles(root: string, rel = ''): string[] {
  return readdirSync(path.join(root, rel))
    .sort()
    .flatMap((name) => {
      const relPath = rel ? `${rel}/${name}` : name;
      return statSync(path.join(root, relPath)).isDirectory() ? listFiles(root, relPath) : [relPath];
    });
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler);
  server.keepAliveTimeout = 1;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

function json(res: ServerResponse, body: unknown) {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** What the hub answers for a repo that doesn't exist (or that the caller may not see). */
function repoNotFound(res: ServerResponse) {
  res.writeHead(401, { 'x-error-code': 'RepoNotFound', 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: 'Repository Not Found' }));
}

function notFound(res: ServerResponse) {
  res.writeHead(404);
  res.end();
}
