// The developer path end to end: the official `openai` SDK → the local gateway (sealing here) → the real
// proxy → a protocol-real test worker, and back. Money, privacy and OpenAI's error shape are all checked.
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ClientGateway, startClientGateway } from '@cocoon/gateway';
import type { Db, ProxyServer } from '@cocoon/proxy';
import {
  openTestDb,
  resetDb,
  startTestProxy,
  startTestWorker,
  type TestWorker,
  type TestWorkerBehaviour,
  userClient,
} from '@cocoon/proxy/testing';
import { chargeFor, createCocoonClient } from '@cocoon/shared';
import { createLogger } from '@cocoon/shared/node';
import { loadModels, type Model, SUMMARIZER_ID, startWorker, type WorkerHandle } from '@cocoon/worker';
import OpenAI, { APIError } from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const TRIAL = 500_000_000n;
const ASK = 10_000_000n; // nanoTON per 1k tokens
const FEE_BPS = 1000;
const OWNER = 1001;
const DEV = 2001;

let db: Db;
let proxy: ProxyServer | undefined;
let workers: TestWorker[] = [];
let gateways: ClientGateway[] = [];

beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  await resetDb(db);
});
afterEach(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  gateways = [];
  await Promise.all(workers.map((w) => w.close()));
  workers = [];
  await proxy?.close();
  proxy = undefined;
});

/** A proxy with one rig serving test-echo at ASK, a developer's API key, and a gateway that uses it. */
async function network(behaviour: TestWorkerBehaviour = 'ok', delayMs = 0, slots = 4) {
  const p = await startTestProxy(db, { LEASE_MS: '30000', HEARTBEAT_MS: '5000' });
  proxy = p;
  const owner = userClient(p, OWNER);
  const { rig, token } = await owner.registerRig('rig-a');
  const worker = startTestWorker({
    url: p.url,
    token,
    behaviour,
    delayMs,
    slots,
    models: [{ id: 'test-echo', kinds: ['chat', 'generate', 'summarize'] }],
  });
  workers.push(worker);
  await worker.rigId;
  await owner.setAsk(rig.id, 'test-echo', ASK);
  const { key } = await userClient(p, DEV).createApiKey('test');
  const gateway = await startClientGateway({ proxyUrl: p.url, apiKey: key, port: 0 });
  gateways.push(gateway);
  const openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const dev = createCocoonClient({ baseUrl: p.url, auth: { kind: 'apiKey', key } });
  return { p, gateway, openai, dev, worker };
}

/** Polls until `ok` (every 50 ms, at most 10 s). */
async function until(ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out waiting');
}

async function apiError(p: Promise<unknown>): Promise<APIError> {
  const err = await p.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(APIError);
  return err as APIError;
}

const expectedCost = (tokens: number) => chargeFor(tokens, ASK, FEE_BPS).totalNano;

describe('the OpenAI-compatible gateway', () => {
  it('streams each word once when the job moves to another rig mid-stream', async () => {
    const { p, openai, worker } = await network('fail-mid-stream', 20);
    // A second, dearer rig that finishes what the first one started.
    const owner = userClient(p, OWNER);
    const { rig, token } = await owner.registerRig('rig-b');
    const backup = startTestWorker({ url: p.url, token, delayMs: 20 });
    workers.push(backup);
    await backup.rigId;
    await owner.setAsk(rig.id, 'test-echo', ASK * 2n);

    const stream = await openai.chat.completions.create({
      model: 'test-echo',
      messages: [{ role: 'user', content: 'one two three four five' }],
      stream: true,
    });
    const deltas: string[] = [];
    for await (const c of stream) deltas.push(c.choices[0]?.delta.content ?? '');
    expect(worker.received).toHaveLength(1); // the cheap rig streamed "ONE TWO" and failed
    expect(backup.received).toEqual(worker.received); // the same job went on on the backup
    expect(deltas.join('')).toBe('ONE TWO THREE FOUR FIVE');
  });

  it('lists the models online rigs serve', async () => {
    const { openai } = await network();
    const page = await openai.models.list();
    expect(page.data.map((m) => m.id)).toEqual(['test-echo']);
    expect(page.data[0]).toMatchObject({ object: 'model', owned_by: 'cocoon' });
    expect((await openai.models.retrieve('test-echo')).id).toBe('test-echo');
    const missing = await apiError(openai.models.retrieve('nope'));
    expect(missing.status).toBe(404);
  });

  it('runs plain and streamed chat and text completions, charges exactly their cost and stores no plaintext', async () => {
    const { openai, dev } = await network('ok', 20);
    const canary = 'canary-5d1e';

    // Plain chat: 2 + 3 prompt words, 3 completion words.
    const plain = await openai.chat.completions.create({
      model: 'test-echo',
      messages: [
        { role: 'system', content: 'be terse' },
        { role: 'user', content: `hello ${canary} world` },
      ],
      max_tokens: 16,
      temperature: 0.2,
      stop: ['\n\n'],
    });
    expect(plain.object).toBe('chat.completion');
    expect(plain.choices[0].message).toMatchObject({
      role: 'assistant',
      content: `HELLO ${canary.toUpperCase()} WORLD`,
    });
    expect(plain.choices[0].finish_reason).toBe('stop');
    const plainUsage = plain.usage as OpenAI.CompletionUsage & { cost_nanoton: string };
    expect(plainUsage).toMatchObject({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
    expect(plainUsage.cost_nanoton).toBe(expectedCost(8).toString());

    // Streamed chat: chunks in OpenAI's format, usage on the last one.
    const stream = await openai.chat.completions.create({
      model: 'test-echo',
      messages: [{ role: 'user', content: `stream ${canary} these four` }],
      stream: true,
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0].id)).toBe(true);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(
      `STREAM ${canary.toUpperCase()} THESE FOUR`,
    );
    const last = chunks.at(-1)!;
    expect(last.choices[0].finish_reason).toBe('stop');
    const streamUsage = last.usage as OpenAI.CompletionUsage & { cost_nanoton: string };
    expect(streamUsage).toMatchObject({ prompt_tokens: 4, completion_tokens: 4, total_tokens: 8 });

    // Text completion, plain and streamed with stream_options.include_usage (usage on its own chunk).
    const text = await openai.completions.create({
      model: 'test-echo',
      prompt: `${canary} one two`,
      max_tokens: 8,
    });
    expect(text.object).toBe('text_completion');
    expect(text.choices[0].text).toBe(`${canary.toUpperCase()} ONE TWO`);
    const textUsage = text.usage as OpenAI.CompletionUsage & { cost_nanoton: string };
    expect(textUsage).toMatchObject({ prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 });

    const textStream = await openai.completions.create({
      model: 'test-echo',
      prompt: 'alpha beta',
      stream: true,
      stream_options: { include_usage: true },
    });
    const textChunks: OpenAI.Completion[] = [];
    for await (const c of textStream) textChunks.push(c);
    expect(textChunks.map((c) => c.choices[0]?.text ?? '').join('')).toBe('ALPHA BETA');
    const usageChunks = textChunks.filter((c) => c.usage);
    expect(usageChunks).toHaveLength(1);
    expect(usageChunks[0].choices).toEqual([]);
    const textStreamUsage = usageChunks[0].usage as OpenAI.CompletionUsage & { cost_nanoton: string };
    expect(textStreamUsage.total_tokens).toBe(4);

    // The owner paid exactly the sum of the four costs, and nothing is left on hold.
    const costs = [plainUsage, streamUsage, textUsage, textStreamUsage].map((u) => BigInt(u.cost_nanoton));
    expect(costs).toEqual([expectedCost(8), expectedCost(8), expectedCost(6), expectedCost(4)]);
    const total = costs.reduce((a, b) => a + b, 0n);
    const me = await dev.me();
    expect(BigInt(me.balanceNano)).toBe(TRIAL - total);
    expect(me.heldNano).toBe('0');
    const jobs = await db.query<{ cost_nano: string; state: string }>(
      'SELECT cost_nano::text AS cost_nano, state FROM jobs ORDER BY created_at',
    );
    expect(jobs.rows.map((j) => j.state)).toEqual(['done', 'done', 'done', 'done']);
    expect(jobs.rows.reduce((a, j) => a + BigInt(j.cost_nano), 0n)).toBe(total);

    // The proxy's job rows hold sealed bytes only.
    const dump = await db.query('SELECT * FROM jobs');
    expect(JSON.stringify(dump.rows)).not.toMatch(new RegExp(canary, 'i'));
  });

  it('answers too little balance with 402, in OpenAI error shape', async () => {
    const { openai, dev } = await network();
    // The hold for 100,000 tokens at 0.01 TON per 1k is over 1 TON; the trial credit is 0.5 TON.
    const err = await apiError(
      openai.chat.completions.create({
        model: 'test-echo',
        messages: [{ role: 'user', content: 'too dear' }],
        max_tokens: 100_000,
      }),
    );
    expect(err.status).toBe(402);
    expect(err.code).toBe('insufficient_funds');
    expect(err.type).toBe('insufficient_quota');
    expect(err.message).toMatch(/balance is 0\.5 TON/);
    expect((await dev.me()).balanceNano).toBe(TRIAL.toString());
  });

  it('answers max_price below every ask with 503 naming the cheapest ask, streamed or not', async () => {
    const { openai } = await network();
    // max_price is Cocoon's extra field; the SDK sends unknown body fields as they are.
    const body = {
      model: 'test-echo',
      messages: [{ role: 'user' as const, content: 'cheap please' }],
      max_price: 1000,
    };
    for (const call of [
      () => openai.chat.completions.create(body),
      () => openai.chat.completions.create({ ...body, stream: true }),
    ]) {
      const err = await apiError(call());
      expect(err.status).toBe(503);
      expect(err.code).toBe('price_too_high');
      expect(err.param).toBe('max_price');
      expect(err.message).toContain(ASK.toString());
    }
  });

  it('answers an unknown model with 404 and a request no rig can take in time with 504', async () => {
    const { openai, worker } = await network('silent');
    const unknown = await apiError(openai.completions.create({ model: 'no-such-model', prompt: 'x' }));
    expect(unknown.status).toBe(404);
    expect(unknown.code).toBe('model_not_found');

    const slow = await apiError(
      openai.chat.completions.create({
        model: 'test-echo',
        messages: [{ role: 'user', content: 'never answered' }],
        // @ts-expect-error Cocoon's extra field
        timeout: 0.5,
      }),
    );
    expect(slow.status).toBe(504);
    expect(slow.code).toBe('timeout');
    expect(worker.received).toHaveLength(1);
  });

  it('keeps a waiting request: its stream starts with x-cocoon-queue-position and says its place as an SSE comment', async () => {
    // One slot, busy with a slow job (about 2 s): the next requests wait in the proxy's queue.
    const { openai, gateway } = await network('ok', 100, 1);
    const words = Array.from({ length: 20 }, (_, i) => `w${i}`).join(' ');
    const busy = openai.chat.completions.create({
      model: 'test-echo',
      messages: [{ role: 'user', content: words }],
    });
    await until(async () => (await db.query("SELECT 1 FROM jobs WHERE state = 'running'")).rows.length === 1);
    const post = (stream: boolean) =>
      fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer unused' },
        body: JSON.stringify({
          model: 'test-echo',
          stream,
          messages: [{ role: 'user', content: 'waited my turn' }],
        }),
      });
    const streamed = await post(true);
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get('x-cocoon-queue-position')).toBe('1');
    const text = await streamed.text();
    expect(text).toMatch(/^: queued: waiting for a rig, position 1 in line\n\n/m);
    const deltas = [...text.matchAll(/"delta":\{"content":"([^"]*)"/g)].map((m) => m[1]);
    expect(deltas.join('')).toBe('WAITED MY TURN');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect((await busy).choices[0].message.content).toBe(words.toUpperCase());

    // A plain response carries the place it first waited at.
    const again = openai.chat.completions.create({
      model: 'test-echo',
      messages: [{ role: 'user', content: words }],
    });
    await until(async () => (await db.query("SELECT 1 FROM jobs WHERE state = 'running'")).rows.length === 1);
    const plain = await post(false);
    expect(plain.headers.get('x-cocoon-queue-position')).toBe('1');
    expect((await plain.json()).choices[0].message.content).toBe('WAITED MY TURN');
    await again;
  });

  it('answers an invalid request with 400 naming the field, before anything is quoted', async () => {
    const { openai, gateway } = await network();
    const err = await apiError(
      openai.chat.completions.create({
        model: 'test-echo',
        messages: [{ role: 'user', content: 'x' }],
        temperature: 5,
      }),
    );
    expect(err.status).toBe(400);
    expect(err.param).toBe('temperature');
    expect(err.message).toMatch(/temperature/);

    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'test-echo', messages: [{ role: 'tool', content: 'x' }] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        message: expect.stringMatching(/^messages\[0\]\.role: /),
        type: 'invalid_request_error',
        code: 'invalid_request',
        param: 'messages[0].role',
      },
    });
    const bad = await fetch(`${gateway.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.type).toBe('invalid_request_error');
    expect((await db.query('SELECT count(*)::int AS n FROM jobs')).rows[0]).toEqual({ n: 0 });
  });

  it('asks the proxy for the confidential tier with cocoon_min_trust or the gateway default, and validates it', async () => {
    // The rig is in the open tier (this proxy publishes no attestation policy): a tdx request finds no rig.
    const { p, openai, gateway, worker } = await network();
    const body = (trust: unknown) =>
      ({
        model: 'test-echo',
        messages: [{ role: 'user', content: 'secret words' }],
        cocoon_min_trust: trust,
      }) as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming;

    const none = await apiError(openai.chat.completions.create(body('tdx')));
    expect(none.status).toBe(503);
    expect(none.code).toBe('no_confidential_capacity');
    expect(none.message).toMatch(/confidential \(TDX\) tier/);
    const text = await apiError(
      openai.completions.create({ model: 'test-echo', prompt: 'x', cocoon_min_trust: 'tdx' } as never),
    );
    expect(text.code).toBe('no_confidential_capacity');
    expect(worker.received).toHaveLength(0);

    // open (said, or unset) runs on the open rig as before.
    const open = await openai.chat.completions.create(body('open'));
    expect(open.choices[0].message.content).toBe('SECRET WORDS');

    // A bad value is a 400 naming the field, before anything is quoted.
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body('confidential')),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-should-retry')).toBe('false');
    expect((await res.json()).error).toMatchObject({
      type: 'invalid_request_error',
      param: 'cocoon_min_trust',
      message: 'cocoon_min_trust: must be "open" or "tdx"',
    });

    // A gateway whose default is tdx (GATEWAY_MIN_TRUST=tdx, with the operator's key) asks for it when the
    // request names no tier; a request may still ask for open.
    const { key } = await userClient(p, DEV).createApiKey('tdx');
    const strict = await startClientGateway({
      proxyUrl: p.url,
      apiKey: key,
      port: 0,
      minTrust: 'tdx',
      attestation: { operatorKey: new Uint8Array(32).fill(9) },
    });
    gateways.push(strict);
    const strictAi = new OpenAI({ baseURL: `${strict.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const byDefault = await apiError(
      strictAi.chat.completions.create({ model: 'test-echo', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(byDefault.code).toBe('no_confidential_capacity');
    const asked = await strictAi.chat.completions.create(body('open'));
    expect(asked.choices[0].message.content).toBe('SECRET WORDS');
    expect(worker.received).toHaveLength(2);
  });

  it('sends a job to the fastest rig first with cocoon_priority speed, the cheapest by default, and validates it', async () => {
    // The cheap rig streams a word each 30 ms (its jobs here measure it: about 33 tokens/s).
    const { p, openai, gateway, worker: cheap } = await network('ok', 30);
    // A dearer rig (within the hold multiple) measured much faster over jobs others paid for.
    const owner = userClient(p, 1003);
    const { rig, token } = await owner.registerRig('rig-fast');
    const fast = startTestWorker({
      url: p.url,
      token,
      models: [{ id: 'test-echo', kinds: ['chat', 'generate'] }],
    });
    workers.push(fast);
    await fast.rigId;
    await owner.setAsk(rig.id, 'test-echo', 2n * ASK);
    for (let i = 0; i < 3; i++) {
      await db.query(
        `INSERT INTO jobs (id, user_id, model, kind, state, input_tokens, max_tokens, hold_nano, fee_bps, candidates,
           rig_id, prompt_tokens, completion_tokens, price_nano_per_1k, expires_at, started_at, first_token_at, finished_at)
         VALUES (gen_random_uuid(), $1, 'test-echo', 'chat', 'done', 10, 101, 0, 0, '[]', $2, 10, 101, 1, now(),
           now() - interval '1 minute', now() - interval '1 minute' + interval '50 ms', now() - interval '1 minute' + interval '1 s')`,
        [String(OWNER), rig.id],
      );
    }
    const body = (priority: unknown) =>
      ({
        model: 'test-echo',
        messages: [{ role: 'user', content: 'seven quick words for the fast rig' }],
        ...(priority === undefined ? {} : { cocoon_priority: priority }),
      }) as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming;

    await openai.chat.completions.create(body(undefined));
    expect([cheap.received.length, fast.received.length]).toEqual([1, 0]);
    await openai.chat.completions.create(body('speed'));
    expect([cheap.received.length, fast.received.length]).toEqual([1, 1]);
    await openai.chat.completions.create(body('price'));
    expect([cheap.received.length, fast.received.length]).toEqual([2, 1]);

    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body('fastest')),
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({
      param: 'cocoon_priority',
      message: 'cocoon_priority: must be "price" or "speed"',
    });
  });

  it('refuses an unknown API key with 401 and requests addressed to another host name with 403', async () => {
    const { p, gateway } = await network();
    const stranger = await startClientGateway({ proxyUrl: p.url, apiKey: 'ck_not_a_real_key', port: 0 });
    gateways.push(stranger);
    const openai = new OpenAI({ baseURL: `${stranger.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const err = await apiError(
      openai.chat.completions.create({ model: 'test-echo', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(err.status).toBe(401);
    expect(err.type).toBe('authentication_error');

    // A web page that rebinds its DNS name to 127.0.0.1 still sends its own name as Host.
    const { port } = new URL(gateway.url);
    const status = await new Promise<number>((resolve, reject) => {
      const r = httpRequest(
        { host: '127.0.0.1', port, path: '/v1/models', headers: { host: `evil.example:${port}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      r.on('error', reject);
      r.end();
    });
    expect(status).toBe(403);
  });
});

describe('summaries through the gateway (the real summarizer on a real worker)', () => {
  const silent = createLogger('silent');
  let models: Map<string, Model>;
  let configRoot: string;
  let worker: WorkerHandle | undefined;
  beforeAll(async () => {
    configRoot = mkdtempSync(path.join(tmpdir(), 'cocoon-gw-sum-'));
    models = await loadModels({ device: 'cpu', logger: silent });
  });
  afterAll(async () => {
    for (const m of models?.values() ?? []) await m.dispose();
    rmSync(configRoot, { recursive: true, force: true });
  });
  afterEach(async () => {
    await worker?.stop({ graceful: false });
    worker = undefined;
  });

  async function summarizerNetwork() {
    const p = await startTestProxy(db, { LEASE_MS: '30000', HEARTBEAT_MS: '5000' });
    proxy = p;
    const owner = userClient(p, OWNER);
    const { rig, token } = await owner.registerRig('rig-sum');
    worker = startWorker({
      proxyUrl: p.url,
      token,
      models,
      configDir: path.join(configRoot, String(Date.now())),
      logger: silent,
      backoff: { initialMs: 50, maxMs: 200 },
    });
    expect(await worker.rigId).toBe(rig.id);
    await owner.setAsk(rig.id, SUMMARIZER_ID, ASK);
    const { key } = await userClient(p, DEV).createApiKey('test');
    const gateway = await startClientGateway({ proxyUrl: p.url, apiKey: key, port: 0 });
    gateways.push(gateway);
    return new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  }

  const conversation: Array<{ name: string; content: string }> = [
    { name: 'Ann', content: 'hi all, planning the cabin trip' },
    { name: 'Bob', content: 'hey' },
    { name: 'Ann', content: "let's go on the 14th, train at 7am from the central station" },
    { name: 'Cy', content: 'lol nice' },
    { name: 'Bob', content: "I'll book the cabin by Friday, it's 240 EUR for the weekend" },
    { name: 'Cy', content: 'ok' },
    { name: 'Ann', content: 'so: 14th, 7am, central station, Bob books the cabin' },
  ];
  type Sources = Array<{ line: number; message_index: number | null }>;

  it('streamed chat and text completions carry cocoon_sources on their last chunk, as plain responses do', async () => {
    const openai = await summarizerNetwork();
    const messages = conversation.map((m) => ({ role: 'user' as const, ...m }));

    const plain = await openai.chat.completions.create({ model: SUMMARIZER_ID, messages });
    const plainSources = (plain as unknown as { cocoon_sources: Sources }).cocoon_sources;
    const summary = plain.choices[0].message.content ?? '';
    expect(summary.split('\n').length).toBeGreaterThan(0);
    expect(plainSources).toHaveLength(summary.split('\n').length);

    const stream = await openai.chat.completions.create({ model: SUMMARIZER_ID, messages, stream: true });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(summary);
    const last = chunks.at(-1) as OpenAI.ChatCompletionChunk & {
      cocoon_sources?: Sources;
      cocoon_job_id?: string;
    };
    expect(last.choices[0].finish_reason).toBe('stop');
    expect(last.cocoon_sources).toEqual(plainSources);
    expect(last.cocoon_job_id).toMatch(/^[0-9a-f-]{36}$/);
    // Every line quotes the message its source names, and the plan's restatement is among them.
    for (const [i, line] of summary.split('\n').entries()) {
      const src = last.cocoon_sources![i];
      expect(src.line).toBe(i);
      expect(src.message_index).not.toBeNull();
      const m = conversation[src.message_index!];
      expect(line).toBe(`${m.name}: ${m.content}`);
    }
    expect(summary).toContain('so: 14th, 7am, central station');
    // Only the last chunk carries them.
    expect(chunks.slice(0, -1).some((c) => 'cocoon_sources' in c)).toBe(false);

    // A text completion of a transcript, streamed with usage on its own chunk: that last chunk carries them.
    const prompt = conversation.map((m) => `${m.name}: ${m.content}`).join('\n');
    const plainText = await openai.completions.create({ model: SUMMARIZER_ID, prompt });
    const textSources = (plainText as unknown as { cocoon_sources: Sources }).cocoon_sources;
    expect(textSources.length).toBeGreaterThan(0);
    const textStream = await openai.completions.create({
      model: SUMMARIZER_ID,
      prompt,
      stream: true,
      stream_options: { include_usage: true },
    });
    const textChunks: OpenAI.Completion[] = [];
    for await (const c of textStream) textChunks.push(c);
    expect(textChunks.map((c) => c.choices[0]?.text ?? '').join('')).toBe(plainText.choices[0].text);
    const lastText = textChunks.at(-1) as OpenAI.Completion & { cocoon_sources?: Sources };
    expect(lastText.usage).toBeDefined();
    expect(lastText.cocoon_sources).toEqual(textSources);
    // The prompt is one message: every line comes from it.
    expect(textSources.every((s) => s.message_index === 0)).toBe(true);
  });
});
