// Attack review of `cocoon-worker pull`: a hostile hub (or a hostile CDN it redirects to) on 127.0.0.1 that
// lists files outside the folder, loops redirects, redirects off http(s), sends more than it listed, lies
// about sizes and checksums, or would collect HF_TOKEN on another host. Each must end in a HubError that says
// why, with nothing written outside the models folder.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listRepoFiles } from './hub';
import { pullModel } from './pull';

const COMMIT = 'c0ffee'.padEnd(40, '0');
let root: string;
let server: Server;
let url: string;
let seen: Array<{ path: string; auth: boolean; host: string }>;
let handle: (req: IncomingMessage, res: ServerResponse) => void;

beforeEach(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'cocoon-pull-attack-'));
  seen = [];
  server = createServer((req, res) => {
    seen.push({
      path: req.url ?? '',
      auth: Boolean(req.headers.authorization),
      host: req.headers.host ?? '',
    });
    handle(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(root, { recursive: true, force: true });
});

const gitSha1 = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
const sibling = (name: string, bytes: Buffer) => ({
  rfilename: name,
  size: bytes.length,
  blobId: gitSha1(bytes),
});
const CONFIG = Buffer.from('{"model_type":"llama"}');
const basics = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'].map((f) =>
  sibling(f, CONFIG),
);
/** A hub whose listing is `siblings` and whose files answer `file`. */
function hub(siblings: unknown[], file: (req: IncomingMessage, res: ServerResponse) => void = serve(CONFIG)) {
  handle = (req, res) => {
    if (req.url?.startsWith('/api/models/')) {
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ sha: COMMIT, siblings }));
    }
    file(req, res);
  };
}
const serve = (bytes: Buffer) => (_req: IncomingMessage, res: ServerResponse) => res.end(bytes);
const opts = (extra: { token?: string; timeoutMs?: number } = {}) => ({
  hub: { endpoint: url, timeoutMs: extra.timeoutMs ?? 2000, token: extra.token },
  repo: 'evil/model',
  revision: 'main',
  modelsDir: path.join(root, 'models'),
  name: 'model',
  maxFileBytes: 1_000_000,
  retries: 0,
  retryDelayMs: 1,
});
const pulling = (extra?: Parameters<typeof opts>[0]) => pullModel(opts(extra));

describe('a hostile hub', () => {
  for (const name of [
    '../../x.json',
    '/etc/x.json',
    'onnx/../../etc/x.json',
    'a\\..\\x.json',
    './x.json',
    'a//x.json',
  ])
    it(`a sibling named ${name} is refused before anything is fetched`, async () => {
      hub([...basics, sibling(name, CONFIG)]);
      await expect(listRepoFiles(opts().hub, 'evil/model', 'main')).rejects.toThrow(/relative path/);
      expect(existsSync(path.join(root, 'x.json'))).toBe(false);
    });

  it('a redirect loop ends after a few hops', async () => {
    hub(basics, (req, res) => {
      res.statusCode = 302;
      res.setHeader('location', req.url ?? '/');
      res.end();
    });
    await expect(pulling()).rejects.toThrow(/more than 5 redirects/);
  });

  for (const to of ['file:///etc/passwd', 'ftp://127.0.0.1/x', 'data:text/plain,hi'])
    it(`a redirect to ${to} is not followed`, async () => {
      hub(basics, (_req, res) => {
        res.statusCode = 302;
        res.setHeader('location', to);
        res.end();
      });
      await expect(pulling()).rejects.toThrow(/which pull does not follow/);
    });

  it('an enormous body (Content-Length far past the listed size) stops at the listed size', async () => {
    hub(basics, (_req, res) => {
      res.setHeader('content-length', String(10 * 1024 ** 3));
      res.write(Buffer.alloc(64 * 1024, 1));
      res.write(Buffer.alloc(64 * 1024, 1));
    });
    await expect(pulling()).rejects.toThrow(/sent more than its/);
  });

  it('a listing that lies about sizes is bounded by --max-file-bytes; one that lies about checksums fails', async () => {
    hub([...basics.slice(0, 3), { ...basics[3], size: 10 ** 12 }]);
    await expect(pulling()).rejects.toThrow(/above --max-file-bytes/);
    hub([...basics.slice(0, 3), { ...basics[3], blobId: 'f'.repeat(40) }]);
    await expect(pulling()).rejects.toThrow(/checksum mismatch for onnx\/model.onnx/);
    expect(existsSync(path.join(root, 'models', 'model'))).toBe(false);
  });

  it('a server that stops sending is cut after the idle time', async () => {
    hub(basics, (_req, res) => {
      res.setHeader('content-length', String(CONFIG.length));
      res.write(CONFIG.subarray(0, 3)); // then nothing
    });
    await expect(pulling({ timeoutMs: 300 })).rejects.toThrow(/no data for 0.3 s/);
  });

  it('HF_TOKEN goes to the endpoint only, not to a redirect host (another origin on the same machine)', async () => {
    const other = `http://localhost:${(server.address() as AddressInfo).port}`;
    hub(basics, (req, res) => {
      if (req.headers.host?.startsWith('localhost')) return res.end(CONFIG);
      res.statusCode = 302;
      res.setHeader('location', `${other}${req.url}`);
      res.end();
    });
    await pulling({ token: 'hf_secret' });
    expect(seen.filter((s) => s.host.startsWith('localhost')).length).toBeGreaterThan(0);
    expect(seen.filter((s) => s.host.startsWith('localhost') && s.auth)).toEqual([]);
    expect(seen.filter((s) => s.host.startsWith('127.0.0.1')).every((s) => s.auth)).toBe(true);
  });

  it('an empty file in the listing is pulled (a zero-byte tokenizer side file)', async () => {
    hub([...basics, sibling('added_tokens.json', Buffer.alloc(0))], (req, res) =>
      res.end(req.url?.endsWith('added_tokens.json') ? Buffer.alloc(0) : CONFIG),
    );
    const r = await pulling();
    expect(readdirSync(r.dir)).toContain('added_tokens.json');
  });
});
