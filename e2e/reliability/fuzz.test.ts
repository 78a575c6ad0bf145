// Fuzz: thousands of malformed, oversized and forged requests on every HTTP route, and malformed, oversized
// and forged frames on the worker channel. The proxy never crashes, never answers 5xx (503 no_capacity, and
// the queue's queue_full and no_free_rig, are the 5xx by design), and every rejection is a 4xx with
// { error: { code, message } }.
import http from 'node:http';
import type { Db, ProxyServer } from '@cocoon/proxy';
import {
  openTestDb,
  resetDb,
  startTestProxy,
  startTestWorker,
  type TestWorker,
  userAuth,
  userClient,
} from '@cocoon/proxy/testing';
import {
  fromBase64,
  sealJob,
  signInitData,
  toBase64,
  type WorkerToProxy,
  workerToProxy,
} from '@cocoon/shared';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type ChaosWorker, seededKeys, startChaosWorker } from './chaos-worker';
import { checkInvariants, waitForTerminalJobs } from './invariants';

const TRIAL = 500_000_000n;
const MAX_ENVELOPE = 2048;
const BODY_LIMIT = MAX_ENVELOPE + 64 * 1024;
let db: Db;
let proxy: ProxyServer;
let healthy: ChaosWorker;
let tma: string;
let apiKey: string;
let rigId: string;
let fuzzToken: string;
let fuzzRigId: string;
const silentWorkers: TestWorker[] = [];

beforeAll(async () => {
  db = await openTestDb();
  await resetDb(db);
  // The fuzzer forges credentials by the hundred from one address: the failed-auth bound per IP would answer
  // its later, valid requests 429 (http/bounds.test.ts checks that bound).
  proxy = await startTestProxy(
    db,
    {
      MAX_ENVELOPE_BYTES: String(MAX_ENVELOPE),
      LEASE_MS: '2000',
      RATE_AUTH_FAILURES_PER_IP_PER_MIN: '1000000',
    },
    200,
  );
  const owner = userClient(proxy, 1001);
  const r = await owner.registerRig('healthy');
  healthy = startChaosWorker({ url: proxy.url, token: r.token, seed: 'fuzz-healthy', slots: 8 });
  rigId = await healthy.rigId;
  await owner.setAsk(rigId, 'test-echo', 2_000_000n);
  const f = await userClient(proxy, 1002).registerRig('fuzzed');
  fuzzToken = f.token;
  fuzzRigId = f.rig.id;
  const auth = userAuth(proxy, 2001);
  tma = auth.kind === 'tma' ? auth.initData : '';
  apiKey = (await userClient(proxy, 2001).createApiKey('fuzz')).key;
});
afterAll(async () => {
  await healthy?.close();
  await Promise.all(silentWorkers.map((w) => w.close()));
  await proxy?.close();
  await new Promise((r) => setTimeout(r, 300));
  await db?.close();
});

interface Answer {
  status: number;
  text: string;
}

function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<Answer> {
  const url = new URL(proxy.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: url.port,
        method,
        path,
        // A body always travels with its length (Node sends none for GET or DELETE on its own).
        headers:
          body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString() }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

const BY_DESIGN_5XX = new Set(['no_capacity', 'price_too_high', 'queue_full', 'no_free_rig']);

/** The contract: no 5xx (but 503 no capacity), and every 4xx says what is wrong in { error }. */
function problemWith(a: Answer): string | null {
  if (a.status >= 400) {
    let json: { error?: { code?: unknown; message?: unknown } };
    try {
      json = JSON.parse(a.text);
    } catch {
      return `${a.status} without a JSON body: ${a.text.slice(0, 80)}`;
    }
    const { code, message } = json.error ?? {};
    if (typeof code !== 'string' || !code || typeof message !== 'string' || !message)
      return `${a.status} without { error: { code, message } }: ${a.text.slice(0, 120)}`;
    if (a.status >= 500 && !(a.status === 503 && BY_DESIGN_5XX.has(code)))
      return `${a.status} ${code}: ${message}`;
  }
  return null;
}

const ROUTES: Array<[string, string]> = [
  ['GET', '/healthz'],
  ['GET', '/v1/market'],
  ['GET', '/v1/models'],
  ['GET', '/v1/me'],
  ['GET', '/v1/me/ledger'],
  ['GET', '/v1/me/jobs'],
  ['GET', '/v1/me/api-keys'],
  ['POST', '/v1/me/api-keys'],
  ['DELETE', '/v1/me/api-keys/:id'],
  ['POST', '/v1/quotes'],
  ['POST', '/v1/jobs'],
  ['GET', '/v1/jobs/:id'],
  ['GET', '/v1/jobs/:id/events'],
  ['GET', '/v1/rigs'],
  ['POST', '/v1/rigs'],
  ['PATCH', '/v1/rigs/:id'],
  ['PUT', '/v1/rigs/:id/asks/:model'],
  ['POST', '/v1/rigs/:id/rotate'],
  ['DELETE', '/v1/rigs/:id'],
  ['POST', '/v1/chat-history/:chat/messages'],
  ['GET', '/v1/chat-history/:chat/messages'],
  ['DELETE', '/v1/chat-history/:chat'],
  ['GET', '/v1/ton/config'],
  ['GET', '/v1/ton/proof-payload'],
  ['POST', '/v1/me/wallet'],
  ['POST', '/v1/me/withdrawals'],
  ['GET', '/v1/me/withdrawals'],
  ['GET', '/v1/admin/unclaimed'],
  ['POST', '/dev/init-data'],
  ['POST', '/dev/sandbox-wallet/:wallet/ton-proof'],
  ['POST', '/dev/sandbox-wallet/:wallet/send'],
  ['POST', '/dev/faucet'],
  ['GET', '/v1/no-such-route'],
];

const segment = fc.oneof(
  fc.uuid(),
  fc.constantFrom(
    'not-a-uuid',
    '00000000-0000-0000-0000-000000000000',
    '-1',
    '0',
    '%',
    '%zz',
    '..',
    'a'.repeat(300),
  ),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.stringMatching(/^[a-z0-9._-]{1,80}$/),
);

const forgedInitData = fc.oneof(
  fc
    .record({ id: fc.integer(), first_name: fc.string({ maxLength: 20 }) })
    .map((user) => signInitData({ user }, '999:not-the-bot-token')),
  fc
    .integer({ min: 1, max: 1e6 })
    .map((id) =>
      signInitData(
        { user: { id, first_name: 'Old' }, auth_date: 1_600_000_000 },
        proxy.ctx.config.BOT_TOKEN!,
      ),
    ),
  fc.string({ maxLength: 200 }),
  fc.constant(() => tma.replace(/hash=[0-9a-f]+/, 'hash=00')).map((f) => f()),
  fc.constant(() => tma.replace(/user=[^&]+/, 'user=%7B%22id%22%3A1%7D')).map((f) => f()),
  fc.constant('user=%7Bbroken&hash=abcd&auth_date=x'),
);

const authHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  fc.constant({}),
  fc.constant(null).map(() => ({ authorization: `tma ${tma}` })),
  fc.constant(null).map(() => ({ authorization: `Bearer ${apiKey}` })),
  forgedInitData.map((d) => ({ authorization: `tma ${d}` })),
  fc.string({ maxLength: 60 }).map((k) => ({ authorization: `Bearer ${k}` })),
  fc.string({ maxLength: 60 }).map((k) => ({ authorization: `Service ${k}` })),
  fc
    .record({ user: fc.string({ maxLength: 24 }), name: fc.string({ maxLength: 24 }) })
    .map(({ user, name }) => ({
      authorization: `Service ${proxy.ctx.config.SERVICE_KEY}`,
      'x-cocoon-user': /^[\x20-\x7e]*$/.test(user) ? user : '12',
      'x-cocoon-user-name': /^[\x20-\x7e]*$/.test(name) ? name : '%E0%A4%A',
    })),
  fc
    .constantFrom('Basic dXNlcjpwYXNz', 'tma', 'Bearer', 'tma ', 'x'.repeat(4000), 'Digest a=b', ' tma x')
    .map((a) => ({ authorization: a })),
);

const bodies: fc.Arbitrary<{ body?: string | Buffer; type?: string }> = fc.oneof(
  fc.constant({}),
  fc.jsonValue({ maxDepth: 3 }).map((v) => ({ body: JSON.stringify(v), type: 'application/json' })),
  fc
    .record({
      model: fc.oneof(fc.constant('test-echo'), fc.string({ maxLength: 70 }), fc.integer()),
      kind: fc.oneof(fc.constantFrom('generate', 'chat', 'summarize'), fc.string({ maxLength: 10 })),
      inputTokens: fc.oneof(
        fc.integer({ min: -5, max: 2_000_000 }),
        fc.double(),
        fc.string({ maxLength: 5 }),
      ),
      maxTokens: fc.oneof(fc.integer({ min: -5, max: 200_000 }), fc.constant(1.5), fc.constant(null)),
      maxPriceNanoPer1k: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 25 }), fc.integer()),
      quoteId: fc.oneof(fc.uuid(), fc.string({ maxLength: 10 })),
      idempotencyKey: fc.string({ maxLength: 140 }),
      envelope: fc.jsonValue({ maxDepth: 3 }),
      name: fc.string({ maxLength: 80 }),
      paused: fc.jsonValue({ maxDepth: 1 }),
      priceNanoPer1k: fc.oneof(fc.string({ maxLength: 25 }), fc.integer(), fc.double()),
      amountNano: fc.oneof(fc.string({ maxLength: 35 }), fc.integer()),
      address: fc.string({ maxLength: 80 }),
      messageId: fc.oneof(fc.integer(), fc.double()),
      sealed: fc.string({ maxLength: 100 }),
      date: fc.integer(),
      telegramId: fc.oneof(fc.integer(), fc.string({ maxLength: 5 })),
      proof: fc.jsonValue({ maxDepth: 2 }),
    })
    .chain((all) =>
      fc
        .subarray(Object.keys(all))
        .map((keys) => Object.fromEntries(keys.map((k) => [k, (all as Record<string, unknown>)[k]]))),
    )
    .map((v) => ({ body: JSON.stringify(v), type: 'application/json' })),
  fc
    .constantFrom(
      '{',
      '{"a":',
      '[1,2',
      'nul',
      '{"model":"x",}',
      '\u0000',
      '"just a string"',
      '12',
      'true',
      '',
    )
    .map((b) => ({ body: b, type: 'application/json' })),
  fc.string({ maxLength: 200 }).map((b) => ({ body: b, type: 'application/json' })),
  fc
    .constantFrom(
      'text/plain',
      'application/xml',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded',
      'application/json; charset=latin1',
      'image/png',
    )
    .map((type) => ({ body: '{"name":"x"}', type })),
  fc.constant({ body: '{"name":"x"}' }),
);

const request = fc.record({
  route: fc.constantFrom(...ROUTES),
  params: fc.array(segment, { minLength: 3, maxLength: 3 }),
  query: fc.oneof(
    fc.constant(''),
    fc.constantFrom('?limit=abc', '?limit=-1', '?limit=99999999', '?fromMessageId=x', '?a[b]=1&a=2', '?%zz'),
  ),
  auth: authHeaders,
  payload: bodies,
});

describe('HTTP fuzz', () => {
  it('thousands of random malformed and forged requests on every route get 4xx with { error }', async () => {
    // Problems grouped by kind (status and first words), with the first example of each.
    const problems = new Map<string, string>();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(request, async ({ route: [method, tpl], params, query, auth, payload }) => {
        let k = 0;
        // Random ids never name a real job, so GET /v1/jobs/:id/events never opens a (rightly) open stream.
        const path = tpl.replace(/:\w+/g, () => params[k++]) + query;
        const headers: Record<string, string> = { ...auth };
        if (payload.type) headers['content-type'] = payload.type;
        const isGetLike = method === 'GET' || method === 'DELETE';
        const body = isGetLike && !payload.type ? undefined : (payload.body ?? '');
        n++;
        const a = await send(method, path, headers, body).catch((err: Error) => err);
        const p = a instanceof Error ? `no answer: ${a.message}` : problemWith(a);
        if (!p) return;
        const kind = p.replace(/[:{].*$/s, '').trim();
        if (!problems.has(kind)) problems.set(kind, `${method} ${path.slice(0, 80)}: ${p.slice(0, 200)}`);
      }),
      { numRuns: 2500 },
    );
    expect(n).toBe(2500);
    expect(Object.fromEntries(problems)).toEqual({});
    expect((await send('GET', '/healthz', {})).status).toBe(200);
  });

  it('hand-written hostile requests: oversized, bad encodings, odd methods, forged credentials', async () => {
    const bearer = { authorization: `tma ${tma}` };
    const json = { ...bearer, 'content-type': 'application/json' };
    const cases: Array<[string, string, Record<string, string>, (string | Buffer)?]> = [
      ['POST', '/v1/rigs', json, JSON.stringify({ name: 'x'.repeat(BODY_LIMIT + 10) })],
      ['POST', '/v1/quotes', json, Buffer.alloc(BODY_LIMIT * 2, 0x7b)],
      ['POST', '/v1/quotes', json, `{"model":"${'a'.repeat(60_000)}"}`],
      [
        'POST',
        '/v1/jobs',
        json,
        JSON.stringify({
          quoteId: crypto.randomUUID(),
          idempotencyKey: 'k'.repeat(20),
          envelope: { v: 1, clientPublicKey: 'A'.repeat(60_000), body: {}, recipients: [] },
        }),
      ],
      ['POST', '/v1/quotes', json, '{"__proto__":{"polluted":true},"model":"test-echo"}'],
      ['POST', '/v1/quotes', json, '{"constructor":{"prototype":{"x":1}}}'],
      ['POST', '/v1/quotes', json, JSON.stringify(Array.from({ length: 5000 }, () => [[[[[]]]]]))],
      ['POST', '/v1/quotes', json, `${'['.repeat(5000)}${']'.repeat(5000)}`],
      ['POST', '/v1/quotes', { ...bearer, 'content-type': 'application/json' }, '\xff\xfe\x00{'],
      [
        'POST',
        '/v1/quotes',
        { ...bearer, 'content-type': 'application/json', 'content-encoding': 'gzip' },
        'not gzip',
      ],
      ['GET', '/v1/jobs/..%2F..%2Fetc%2Fpasswd', bearer],
      ['GET', `/v1/jobs/${'9'.repeat(5000)}`, bearer],
      ['GET', '/v1/me', { authorization: `tma ${'a=b&'.repeat(2000)}` }],
      ['GET', '/v1/me', { authorization: `tma ${tma}&user=%7B%22id%22%3A666%7D` }],
      ['GET', '/v1/me', { authorization: `tma ${tma.replace(/auth_date=\d+/, 'auth_date=99999999999')}` }],
      ['GET', '/v1/me', { authorization: 'Service wrong-key-wrong-key', 'x-cocoon-user': '5' }],
      ['GET', '/v1/me', { authorization: `Service ${proxy.ctx.config.SERVICE_KEY}` }],
      [
        'GET',
        '/v1/me',
        { authorization: `Service ${proxy.ctx.config.SERVICE_KEY}`, 'x-cocoon-user': '1'.repeat(30) },
      ],
      [
        'GET',
        '/v1/me',
        {
          authorization: `Service ${proxy.ctx.config.SERVICE_KEY}`,
          'x-cocoon-user': '77',
          'x-cocoon-user-name': '%E0%A4%A',
        },
      ],
      ['GET', '/v1/me', { authorization: `Bearer ${apiKey}x` }],
      [
        'POST',
        '/v1/me/api-keys',
        { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        '{"name":"k"}',
      ],
      ['GET', '/v1/admin/unclaimed', { authorization: 'Service ' }],
      ['GET', '/v1/chat-history/12/messages', { authorization: 'Bearer nope' }],
      ['PROPFIND', '/v1/me', bearer],
      ['TRACE', '/v1/me', bearer],
      ['PATCH', '/healthz', bearer, '{}'],
      [
        'POST',
        '/v1/me/withdrawals',
        json,
        JSON.stringify({ amountNano: '9'.repeat(30), idempotencyKey: 'w-1' }),
      ],
      ['POST', '/v1/me/withdrawals', json, JSON.stringify({ amountNano: '1', idempotencyKey: 'w-2' })],
      [
        'POST',
        '/v1/me/wallet',
        json,
        JSON.stringify({
          address: '0:'.padEnd(66, 'f'),
          network: '-239',
          proof: {
            timestamp: 1,
            domain: { lengthBytes: 9, value: 'localhost' },
            payload: 'p',
            signature: 'AAAA',
          },
        }),
      ],
      [
        'POST',
        '/v1/me/wallet',
        json,
        JSON.stringify({
          address: 'x'.repeat(60),
          network: '-3',
          proof: {
            timestamp: 1,
            domain: { lengthBytes: -1, value: '' },
            payload: '',
            signature: '',
            state_init: '!!!',
          },
        }),
      ],
      ['POST', '/dev/faucet', json, JSON.stringify({ address: 'EQ' + 'A'.repeat(46), amountNano: '0' })],
      [
        'POST',
        '/dev/sandbox-wallet/nope/send',
        json,
        JSON.stringify({ messages: [{ address: 'bad', amount: '1' }] }),
      ],
      ['POST', '/dev/init-data', json, JSON.stringify({ telegramId: -1 })],
      [
        'POST',
        '/v1/chat-history/12/messages',
        { authorization: `Service ${proxy.ctx.config.SERVICE_KEY}`, 'content-type': 'application/json' },
        JSON.stringify({ messageId: 1, sealed: '!!', date: 1 }),
      ],
      [
        'GET',
        '/v1/chat-history/12/messages?limit=0',
        { authorization: `Service ${proxy.ctx.config.SERVICE_KEY}` },
      ],
    ];
    const problems: string[] = [];
    for (const [method, path, headers, body] of cases) {
      const a = await send(method, path, headers, body);
      const p = problemWith(a);
      if (p) problems.push(`${method} ${path.slice(0, 60)}: ${p}`);
    }
    expect(problems).toEqual([]);
    expect((await send('GET', '/healthz', {})).status).toBe(200);
  });
});

describe('bugs found by the fuzzer', () => {
  // Fastify's router errors used to skip app.setErrorHandler and answer in Fastify's own shape; fixed in
  // app.ts (frameworkErrors). Kept as a regression test.
  it('framework errors (bad URL encoding, over-long path params) answer with { error: { code, message } }', async () => {
    const bearer = { authorization: `tma ${tma}` };
    const problems: string[] = [];
    for (const path of [
      '/v1/jobs/%E0%A4%A',
      '/v1/me/api-keys/%',
      `/v1/rigs/${crypto.randomUUID()}/asks/${'a'.repeat(120)}`,
    ]) {
      const a = await send(path.includes('asks') ? 'PUT' : 'GET', path, bearer);
      const p = problemWith(a);
      if (p) problems.push(`${path.slice(0, 40)}: ${p}`);
    }
    expect(problems).toEqual([]);
  });
});

/** A raw worker socket for the fuzzing rig, with a queue of what the proxy answered. */
async function rawWorker() {
  const ws = new WebSocket(`${proxy.url.replace(/^http/, 'ws')}/v1/worker`, {
    headers: { authorization: `Bearer ${fuzzToken}` },
  });
  const inbox: Array<Record<string, unknown>> = [];
  let waiter: (() => void) | undefined;
  ws.on('message', (d) => {
    inbox.push(JSON.parse(String(d)));
    waiter?.();
  });
  const closed = new Promise<number>((res) => ws.on('close', (code) => res(code)));
  ws.on('error', () => {});
  await new Promise((res, rej) => {
    ws.once('open', res);
    ws.once('error', rej);
  });
  const next = async (timeoutMs = 5000): Promise<Record<string, unknown> | null> => {
    const until = Date.now() + timeoutMs;
    while (!inbox.length && Date.now() < until) {
      await new Promise<void>((res) => {
        waiter = res;
        setTimeout(res, 50);
      });
    }
    return inbox.shift() ?? null;
  };
  const send = (frame: unknown) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  return { ws, next, send, closed, inbox };
}

const keys = seededKeys('fuzz-rig');
const hello = {
  type: 'hello',
  protocol: 1,
  models: [{ id: 'test-echo', kinds: ['generate', 'chat', 'summarize'], contextLength: 4096 }],
  slots: 2,
  x25519PublicKey: toBase64(keys.x25519.publicKey),
  ed25519PublicKey: toBase64(keys.ed25519.publicKey),
  device: 'cpu',
  version: 'fuzz',
};

const frames = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc
    .record({
      type: fc.constantFrom('hello', 'heartbeat', 'chunk', 'done', 'fail', 'welcome', 'assign', 'nope'),
      jobId: fc.oneof(fc.uuid(), fc.string({ maxLength: 10 }), fc.integer()),
      seq: fc.oneof(fc.integer(), fc.string({ maxLength: 3 })),
      sealed: fc.jsonValue({ maxDepth: 2 }),
      running: fc.oneof(fc.array(fc.string({ maxLength: 5 }), { maxLength: 70 }), fc.integer()),
      retryable: fc.jsonValue({ maxDepth: 1 }),
      slots: fc.integer(),
      models: fc.jsonValue({ maxDepth: 2 }),
      receipt: fc.jsonValue({ maxDepth: 2 }),
    })
    .chain((all) =>
      fc.subarray(Object.keys(all)).map((ks) => ({
        type: all.type,
        ...Object.fromEntries(ks.map((k) => [k, (all as Record<string, unknown>)[k]])),
      })),
    )
    .map((v) => JSON.stringify(v)),
);

describe('worker channel fuzz', () => {
  it('malformed frames before and after hello get an error frame; the socket and the proxy stay up', async () => {
    const w = await rawWorker();
    // Before hello: junk is refused, valid messages are told to say hello first.
    for (const f of ['not json', '{"type":"heartbeat","running":[]}', '[]', '{"type":"done"}']) {
      w.send(f);
      const m = await w.next();
      expect(m?.type).toBe('error');
      expect(String(m?.message)).not.toBe('');
    }
    w.send(hello);
    expect((await w.next())?.type).toBe('welcome');
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(frames, async (raw) => {
        let valid = false;
        try {
          valid = workerToProxy.safeParse(JSON.parse(raw)).success;
        } catch {}
        w.send(raw);
        if (valid) return; // valid but about nobody's job: ignored, checked below
        const m = await w.next();
        expect(m?.type).toBe('error');
        expect(String(m?.message).length).toBeGreaterThan(0);
        checked++;
      }),
      { numRuns: 600 },
    );
    expect(checked).toBeGreaterThan(400);
    // Binary frames, huge strings, and a frame over the 4 MiB limit (the socket is closed with 1009).
    w.ws.send(Buffer.from([0xff, 0x00, 0xfe]));
    expect((await w.next())?.type).toBe('error');
    w.send(
      JSON.stringify({
        type: 'fail',
        jobId: crypto.randomUUID(),
        reason: 'x'.repeat(100_000),
        retryable: true,
      }),
    );
    expect((await w.next())?.type).toBe('error');
    w.send('x'.repeat(4 * 1024 * 1024 + 10));
    expect(await w.closed).toBe(1009);
    expect((await send('GET', '/healthz', {})).status).toBe(200);
  });

  it('forged chunks, receipts and fails for other rigs jobs change nothing; a forged receipt on its own job is refused', async () => {
    // A job on a silent rig that will never answer: the fuzzing rig tries to settle it.
    const owner = userClient(proxy, 1003);
    const s = await owner.registerRig('silent');
    const silent = startTestWorker({ url: proxy.url, token: s.token, behaviour: 'silent' });
    silentWorkers.push(silent);
    const silentId = await silent.rigId;
    await owner.setAsk(silentId, 'test-echo', 1_000n);
    const user = userClient(proxy, 2002);
    const q = await user.quote({ model: 'test-echo', kind: 'generate', inputTokens: 20, maxTokens: 5 });
    expect(q.candidates[0].rigId).toBe(silentId);
    const { envelope } = sealJob(
      { kind: 'generate', prompt: 'a b', maxTokens: 5 },
      q.candidates.map((c) => ({ rigId: c.rigId, x25519PublicKey: fromBase64(c.x25519PublicKey) })),
      q.quoteId,
    );
    await user.submit({ quoteId: q.quoteId, envelope, idempotencyKey: 'forge-0001' });
    const w = await rawWorker();
    w.send(hello);
    expect((await w.next())?.type).toBe('welcome');
    const box = { nonce: toBase64(new Uint8Array(24)), ciphertext: toBase64(new Uint8Array(40)) };
    const receipt = {
      jobId: q.quoteId,
      rigId: fuzzRigId,
      model: 'test-echo',
      promptTokens: 1,
      completionTokens: 1,
      resultHash: '0'.repeat(64),
      commitment: '0'.repeat(64),
    };
    const forged: WorkerToProxy[] = [
      { type: 'chunk', jobId: q.quoteId, seq: 0, sealed: box },
      { type: 'done', jobId: q.quoteId, result: box, receipt, signature: toBase64(new Uint8Array(64)) },
      {
        type: 'done',
        jobId: q.quoteId,
        result: box,
        receipt: { ...receipt, rigId: silentId },
        signature: 'AAAA',
      },
      { type: 'fail', jobId: q.quoteId, reason: 'forged', retryable: false },
      { type: 'heartbeat', running: [q.quoteId], queued: [], progress: [{ jobId: q.quoteId, tokens: 1 }] },
    ];
    for (const f of forged) w.send(f);
    w.send('{}'); // an error answer marks that every forged frame before it was handled
    expect((await w.next())?.type).toBe('error');
    expect(w.inbox).toEqual([]);
    const job = await db.query<{ state: string; rig_id: string }>(
      'SELECT state, rig_id FROM jobs WHERE id = $1',
      [q.quoteId],
    );
    expect(job.rows[0]).toEqual({ state: 'running', rig_id: silentId });
    await silent.close(); // the job fails over to the next candidate and settles there

    // Now the fuzzing rig is the cheapest: it gets a real job and answers with forged receipts.
    await userClient(proxy, 1002).setAsk(fuzzRigId, 'test-echo', 500n);
    const run = user.runJob({
      model: 'test-echo',
      body: { kind: 'chat', messages: [{ role: 'user', content: 'x y z' }], maxTokens: 4 },
    });
    let assign: Record<string, unknown> | null = null;
    for (let i = 0; i < 20 && assign?.type !== 'assign'; i++) assign = await w.next();
    expect(assign?.type).toBe('assign');
    const jobId = String(assign?.jobId);
    w.send({ type: 'chunk', jobId, seq: 0, sealed: box }); // garbage the client can't open: it is skipped
    w.send({
      type: 'done',
      jobId,
      result: box,
      receipt: { ...receipt, jobId, resultHash: 'f'.repeat(64), completionTokens: 1_000_000 },
      signature: toBase64(new Uint8Array(64)),
    });
    const res = await run.catch((e) => e);
    // The client either got the healthy rig's result after failover or a clean failure; never the forgery.
    if (!(res instanceof Error)) expect(res.rigId).toBe(rigId);
    const reason = await db.query<{ fail_reason: string | null }>(
      'SELECT fail_reason FROM jobs WHERE id = $1',
      [jobId],
    );
    expect(reason.rows[0].fail_reason ?? '').toMatch(/invalid receipt|^$/);
    w.ws.close();
    expect(await waitForTerminalJobs(db, 15_000)).toBe(0);
    const report = await checkInvariants(db, TRIAL);
    expect(report.problems).toEqual([]);
    const earned = await db.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM jobs WHERE rig_id = $1 AND state = 'done'",
      [fuzzRigId],
    );
    expect(earned.rows[0].n).toBe('0');
    expect((await send('GET', '/healthz', {})).status).toBe(200);
  });
});
