// buildProxy builds the whole app without listening: requests go through app.inject(), and the TON service
// is in the context before any route reads it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProxy, type ProxyApp } from './app';
import type { Db } from './db';
import { openTestDb, testConfig } from './testing/harness';

let db: Db;
let proxy: ProxyApp;
beforeAll(async () => {
  db = await openTestDb();
  proxy = await buildProxy(testConfig(), { db });
});
afterAll(async () => {
  await proxy?.close();
  await db?.close();
});

describe('buildProxy', () => {
  it('answers through app.inject() without listening', async () => {
    expect(proxy.app.server.listening).toBe(false);
    const res = await proxy.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.json()).toMatchObject({ ok: true, chain: 'sandbox' });
    expect(proxy.ctx.ton.network).toBe('sandbox');
    const ton = await proxy.app.inject({ method: 'GET', url: '/v1/ton/config' });
    expect(ton.statusCode).toBe(200);
    expect(proxy.routes).toContain('GET /v1/ton/config');
  });
});
