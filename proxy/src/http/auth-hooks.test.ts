// Every route belongs to one auth group, and each group refuses the callers it must refuse: the bot's
// service key can't move money or make credentials, an API key can't either, the admin routes take
// ADMIN_KEY alone, and a production-configured proxy has no dev routes and no public keys.
import { signInitData } from '@cocoon/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyServer } from '../app';
import { DEV_ADMIN_KEY, DEV_SERVICE_KEY } from '../config';
import type { Db } from '../db';
import { openTestDb, PRODUCTION_SECRETS, resetDb, startTestProxy } from '../testing/harness';

type Group = 'public' | 'user' | 'account' | 'owner' | 'service' | 'admin' | 'sandbox' | 'local' | 'rig';

/** Each route's auth group. A route missing here fails the test: say who may call it. */
const GROUPS: Record<string, Group> = {
  'GET /healthz': 'public',
  'GET /v1/market': 'public',
  'GET /v1/models': 'public',
  'GET /v1/attestation/policy': 'public',
  'GET /v1/onchain': 'public',
  'GET /v1/me/onchain': 'account',
  'POST /v1/me/onchain': 'owner',
  'POST /v1/me/onchain/payouts': 'owner',
  'POST /v1/jobs/:id/voucher': 'user',
  'GET /v1/rigs/:id/evidence': 'public',
  'GET /v1/ton/config': 'public',
  'GET /tonconnect-manifest.json': 'public',
  'GET /*': 'public', // the built Mini App, when dist/ exists
  'POST /v1/quotes': 'user',
  'POST /v1/jobs': 'user',
  'GET /v1/jobs/:id': 'user',
  'GET /v1/jobs/:id/events': 'user',
  'POST /v1/jobs/:id/report': 'user',
  'POST /v1/jobs/:id/cancel': 'user',
  'GET /v1/me': 'user',
  'GET /v1/me/ledger': 'account',
  'GET /v1/me/jobs': 'account',
  'GET /v1/me/api-keys': 'account',
  'GET /v1/me/wallet': 'account',
  'GET /v1/me/withdrawals': 'account',
  'POST /v1/me/api-keys': 'owner',
  'DELETE /v1/me/api-keys/:id': 'owner',
  'GET /v1/ton/proof-payload': 'owner',
  'POST /v1/me/wallet': 'owner',
  'DELETE /v1/me/wallet/pending': 'owner',
  'POST /v1/me/withdrawals': 'owner',
  'GET /v1/rigs': 'owner',
  'POST /v1/rigs': 'owner',
  'PATCH /v1/rigs/:id': 'owner',
  'PUT /v1/rigs/:id/asks/:model': 'owner',
  'POST /v1/rigs/:id/rotate': 'owner',
  'GET /v1/rigs/:id/audits': 'owner',
  'GET /v1/rigs/:id/history': 'owner',
  'GET /v1/rigs/:id/jobs.csv': 'owner',
  'GET /v1/me/withdrawals.csv': 'owner',
  'POST /v1/rigs/:id/release': 'owner',
  'POST /v1/rigs/:id/attest': 'owner',
  'POST /v1/rigs/:id/bond': 'owner',
  'POST /v1/rigs/:id/bond/withdraw': 'owner',
  'DELETE /v1/rigs/:id': 'owner',
  'POST /v1/chat-history/:chatId/messages': 'service',
  'GET /v1/chat-history/:chatId/messages': 'service',
  'DELETE /v1/chat-history/:chatId': 'service',
  'GET /v1/chat-settings/:chatId': 'service',
  'PUT /v1/chat-settings/:chatId': 'service',
  'GET /v1/admin/unclaimed': 'admin',
  'GET /v1/stars/offer': 'public',
  'POST /v1/stars/invoices': 'user',
  'GET /v1/stars/purchases': 'user',
  'POST /v1/stars/purchases/:id/refund': 'user',
  'POST /v1/stars/pre-checkout': 'service',
  'POST /v1/stars/payments': 'service',
  'POST /v1/stars/reversals': 'service',
  'POST /v1/admin/stars/refunds': 'admin',
  'GET /metrics': 'admin',
  'POST /dev/sandbox-wallet': 'sandbox',
  'POST /dev/sandbox-wallet/:id/ton-proof': 'sandbox',
  'POST /dev/sandbox-wallet/:id/send': 'sandbox',
  'POST /dev/faucet': 'sandbox',
  'POST /dev/init-data': 'local',
  'GET /v1/worker': 'rig',
};

/** Who may call each group (the rest must be refused with 401 or 403). */
const ALLOWED: Record<'user' | 'account' | 'owner' | 'service' | 'admin', Caller[]> = {
  user: ['tma', 'apiKey', 'service'],
  account: ['tma', 'apiKey'],
  owner: ['tma'],
  service: ['service'],
  admin: ['admin'],
};
type Caller = 'none' | 'tma' | 'apiKey' | 'service' | 'admin' | 'devService' | 'devAdmin';
const CALLERS: Caller[] = ['none', 'tma', 'apiKey', 'service', 'admin', 'devService', 'devAdmin'];

let db: Db;
let prod: ProxyServer;
let headers: Record<Caller, Record<string, string>>;

beforeAll(async () => {
  db = await openTestDb();
  await resetDb(db);
  // Every route is tried with every kind of caller, most of them refused: no bound on failures per IP here
  // (http/bounds.test.ts checks that one).
  prod = await startTestProxy(db, { ...PRODUCTION_SECRETS, RATE_AUTH_FAILURES_PER_IP_PER_MIN: '100000' });
  const initData = signInitData({ user: { id: 7001, first_name: 'Owner' } }, PRODUCTION_SECRETS.BOT_TOKEN);
  const tma = { authorization: `tma ${initData}` };
  const made = await prod.app.inject({
    method: 'POST',
    url: '/v1/me/api-keys',
    headers: tma,
    payload: { name: 'k' },
  });
  expect(made.statusCode).toBe(201);
  const asUser = { 'x-cocoon-user': '7001' };
  headers = {
    none: {},
    tma,
    apiKey: { authorization: `Bearer ${made.json().key}` },
    service: { authorization: `Service ${PRODUCTION_SECRETS.SERVICE_KEY}`, ...asUser },
    admin: { authorization: `Admin ${PRODUCTION_SECRETS.ADMIN_KEY}` },
    devService: { authorization: `Service ${DEV_SERVICE_KEY}`, ...asUser },
    devAdmin: { authorization: `Admin ${DEV_ADMIN_KEY}` },
  };
});
afterAll(async () => {
  await prod?.close();
  await db?.close();
});

function concrete(route: string): { method: string; url: string } {
  const [method, path] = route.split(' ');
  const url = path
    .replace(':id', '00000000-0000-4000-8000-000000000000')
    .replace(':model', 'test-echo')
    .replace(':chatId', '-100');
  return { method, url };
}

describe('auth groups', () => {
  it('every registered route has a group, and a production proxy has no dev-token routes', () => {
    const missing = prod.routes.filter((r) => !(r in GROUPS));
    expect(missing).toEqual([]);
    expect(prod.routes).not.toContain('POST /dev/init-data');
    // The sandbox wallet follows the chain (play money), not local mode.
    expect(prod.routes).toContain('POST /dev/sandbox-wallet');
  });

  it('each group admits exactly its callers', async () => {
    const wrong: string[] = [];
    for (const route of prod.routes) {
      const group = GROUPS[route];
      if (!(group in ALLOWED)) continue;
      const allowed = ALLOWED[group as keyof typeof ALLOWED];
      for (const caller of CALLERS) {
        const { method, url } = concrete(route);
        const res = await prod.app.inject({
          method: method as 'GET',
          url,
          headers: headers[caller],
          ...(method === 'GET' || method === 'DELETE' ? {} : { payload: {} }),
        });
        const refused = res.statusCode === 401 || res.statusCode === 403;
        if (refused === allowed.includes(caller)) wrong.push(`${route} as ${caller}: ${res.statusCode}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("refuses the bot's key where money or credentials move, saying to use the Mini App", async () => {
    const res = await prod.app.inject({
      method: 'POST',
      url: '/v1/me/withdrawals',
      headers: headers.service,
      payload: { amountNano: '100000000', idempotencyKey: 'steal-1' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.message).toMatch(/Mini App/);
  });

  it('answers an unauthenticated 1 MB body with 401 without reading it as JSON', async () => {
    const res = await prod.app.inject({
      method: 'POST',
      url: '/v1/rigs',
      headers: { 'content-type': 'application/json' },
      payload: `{${'x'.repeat(1_000_000)}`,
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthorized');
  });

  it('turns the admin routes off without ADMIN_KEY', async () => {
    const noAdmin = await startTestProxy(db, { ...PRODUCTION_SECRETS, ADMIN_KEY: '' });
    try {
      const res = await noAdmin.app.inject({
        method: 'GET',
        url: '/v1/admin/unclaimed',
        headers: { authorization: `Admin ${PRODUCTION_SECRETS.SERVICE_KEY}` },
      });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('admin_disabled');
    } finally {
      await noAdmin.close();
    }
  });

  it('a local proxy signs test initData; a production one has no such route', async () => {
    const res = await prod.app.inject({ method: 'POST', url: '/dev/init-data', payload: { telegramId: 1 } });
    expect(res.statusCode).toBe(404);
    const local = await startTestProxy(db);
    try {
      expect(local.routes).toContain('POST /dev/init-data');
      const ok = await local.app.inject({
        method: 'POST',
        url: '/dev/init-data',
        payload: { telegramId: 1 },
      });
      expect(ok.statusCode).toBe(200);
    } finally {
      await local.close();
    }
  });
});
