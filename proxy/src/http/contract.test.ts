// Every route the proxy registers comes from the shared contract (or is named as an exception), every
// contract entry is served, and the harness's response check turns an answer that breaks it into a 500.
import { CONTRACT, CONTRACT_BY_KEY, NON_CONTRACT_ROUTES, routeKey } from '@cocoon/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ProxyServer } from '../app';
import type { Db } from '../db';
import { openTestDb, PRODUCTION_SECRETS, resetDb, startTestProxy } from '../testing/harness';

let db: Db;
let local: ProxyServer;

beforeAll(async () => {
  db = await openTestDb();
  await resetDb(db);
  local = await startTestProxy(db);
});
afterAll(async () => {
  await local?.close();
  await db?.close();
});

describe('the API contract', () => {
  it('has an entry for every route a proxy registers, local or production', async () => {
    const prod = await startTestProxy(db, PRODUCTION_SECRETS);
    try {
      for (const proxy of [local, prod]) {
        const missing = proxy.routes.filter(
          (r) => !CONTRACT_BY_KEY.has(r) && !NON_CONTRACT_ROUTES.includes(r),
        );
        expect(missing).toEqual([]);
      }
    } finally {
      await prod.close();
    }
  });

  it('is served whole by a local proxy, each route once', () => {
    const served = Object.values(CONTRACT).map(routeKey);
    expect(served.filter((r) => !local.routes.includes(r))).toEqual([]);
    expect(new Set(served).size).toBe(served.length);
  });

  it('turns a success answer that breaks the contract into a 500 and records it', async () => {
    const entry = CONTRACT.health as { response: z.ZodType };
    const original = entry.response;
    entry.response = z.strictObject({ ok: z.boolean(), db: z.string() });
    try {
      const res = await local.app.inject({ method: 'GET', url: '/healthz' });
      expect(res.statusCode).toBe(500);
      expect(local.responseViolations).toEqual([expect.stringMatching(/^GET \/healthz: .*chain/)]);
    } finally {
      entry.response = original;
    }
    expect((await local.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    local.responseViolations.length = 0;
  });
});
