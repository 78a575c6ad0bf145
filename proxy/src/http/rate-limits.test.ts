// Rate limits per caller: a user (also through the bot's service key, counted per user it acts for), an
// API key, a rig token, an IP address. Over the limit: 429 with retry-after, in the API's error shape.
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import type { ProxyServer } from '../app';
import { DEV_SERVICE_KEY } from '../config';
import type { Db } from '../db';
import { openTestDb, resetDb, startTestProxy, userAuth } from '../testing/harness';
import { startTestWorker, type TestWorker } from '../testing/test-worker';

let db: Db;
let proxy: ProxyServer;
let worker: TestWorker | undefined;

beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  await resetDb(db);
  proxy = await startTestProxy(db, {
    RATE_QUOTES_PER_MIN: '5',
    RATE_CALLER_PER_MIN: '20',
    RATE_RIG_CONNECTS_PER_MIN: '3',
  });
});
afterEach(async () => {
  await worker?.close();
  worker = undefined;
  await proxy?.close();
});

const tma = (id: number) => ({
  authorization: `tma ${(userAuth(proxy, id) as { initData: string }).initData}`,
});
const viaBot = (id: number) => ({ authorization: `Service ${DEV_SERVICE_KEY}`, 'x-cocoon-user': String(id) });
const quote = (headers: Record<string, string>) =>
  proxy.app.inject({
    method: 'POST',
    url: '/v1/quotes',
    headers,
    payload: { model: 'test-echo', kind: 'generate', inputTokens: 10, maxTokens: 10 },
  });

it('quotes: each user (also through the bot) has their own bucket; over it, 429 with retry-after', async () => {
  const owner = await proxy.app.inject({
    method: 'POST',
    url: '/v1/rigs',
    headers: tma(1),
    payload: { name: 'r' },
  });
  worker = startTestWorker({ url: proxy.url, token: owner.json().token });
  await worker.rigId;

  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push((await quote(viaBot(101))).statusCode);
  expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429, 429]);
  const limited = await quote(viaBot(101));
  expect(limited.headers['retry-after']).toBeDefined();
  expect(limited.json().error).toMatchObject({
    code: 'rate_limited',
    message: expect.stringMatching(/retry in/),
  });

  // Another user through the same service key is not slowed by the first; nor is a Mini App user.
  expect((await quote(viaBot(102))).statusCode).toBe(201);
  expect((await quote(tma(103))).statusCode).toBe(201);
});

it('every route counts per caller', async () => {
  const seen: number[] = [];
  for (let i = 0; i < 22; i++)
    seen.push((await proxy.app.inject({ method: 'GET', url: '/v1/me', headers: tma(201) })).statusCode);
  expect(seen.slice(0, 20).every((s) => s === 200)).toBe(true);
  expect(seen.slice(20)).toEqual([429, 429]);
  expect((await proxy.app.inject({ method: 'GET', url: '/v1/me', headers: tma(202) })).statusCode).toBe(200);
});

it('a rig token may connect only so often', async () => {
  const owner = await proxy.app.inject({
    method: 'POST',
    url: '/v1/rigs',
    headers: tma(1),
    payload: { name: 'r' },
  });
  const token = owner.json().token as string;
  const codes: string[] = [];
  for (let i = 0; i < 5; i++) {
    const w = startTestWorker({ url: proxy.url, token });
    const outcome = await Promise.race([w.rigId.then(() => 'welcome'), w.closed.then(() => 'closed')]).catch(
      (e: Error) => e.message,
    );
    codes.push(outcome.includes('429') ? '429' : outcome);
    await w.close();
  }
  expect(codes.slice(0, 3)).toEqual(['welcome', 'welcome', 'welcome']);
  expect(codes.slice(3)).toEqual(['429', '429']);
});
