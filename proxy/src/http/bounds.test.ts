// The HTTP server is bounded (issue 26, item 8): a request body dripped slowly is cut at the request
// deadline instead of holding its connection for good; rate limits count a user across all of their API
// keys; failed authentications are counted per IP address, and past the bound answered 429 before any
// lookup. Against the real proxy on a random port (raw sockets where the attack needs them).
import { randomBytes } from 'node:crypto';
import { dripBody } from '@cocoon/shared/testing/slow-drip';
import { describe, expect, it } from 'vitest';
import type { ProxyServer } from '../app';
import { userAuth, userClient } from '../testing/harness';
import { useTestBed } from '../testing/test-bed';

const bed = useTestBed();

const quote = (proxy: ProxyServer, authorization: string) =>
  proxy.app.inject({
    method: 'POST',
    url: '/v1/quotes',
    headers: { authorization },
    payload: { model: 'test-echo', kind: 'generate', inputTokens: 10, maxTokens: 10 },
  });

describe('the HTTP server is bounded', () => {
  it('a request body dripped slowly (unauthenticated, on /v1/quotes) has its connection closed', async () => {
    await bed.start({ HTTP_REQUEST_TIMEOUT_MS: '1000', HTTP_HEADERS_TIMEOUT_MS: '1000' });
    await dripBody(bed.proxy.url, '/v1/quotes');
    // Signed in, the same.
    const tma = userAuth(bed.proxy, 2001) as { initData: string };
    await dripBody(bed.proxy.url, '/v1/quotes', { authorization: `tma ${tma.initData}` });
    // The proxy still answers.
    expect((await bed.proxy.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it("one user's 10 API keys share one bucket", async () => {
    await bed.start({ RATE_QUOTES_PER_MIN: '5', RATE_CALLER_PER_MIN: '1000' });
    await bed.rig(1001, 1_000n);
    const owner = userClient(bed.proxy, 2001);
    const keys: string[] = [];
    for (let i = 0; i < 10; i++) keys.push((await owner.createApiKey(`k${i}`)).key);
    const statuses: number[] = [];
    for (let round = 0; round < 2; round++)
      for (const key of keys) statuses.push((await quote(bed.proxy, `Bearer ${key}`)).statusCode);
    expect(statuses.slice(0, 5)).toEqual([201, 201, 201, 201, 201]);
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
    // Another user's key is not slowed by the first user.
    const other = await userClient(bed.proxy, 2002).createApiKey('other');
    expect((await quote(bed.proxy, `Bearer ${other.key}`)).statusCode).toBe(201);
  });

  it('failed authentication is counted per IP: past the bound, 429 before any lookup', async () => {
    await bed.start({ RATE_AUTH_FAILURES_PER_IP_PER_MIN: '5' });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await bed.proxy.app.inject({
        method: 'GET',
        url: '/v1/me',
        headers: { authorization: `Bearer ck_${randomBytes(16).toString('hex')}` },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const refused = await bed.proxy.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: 'Service not-the-key' },
    });
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.message).toMatch(/failed sign-ins/);
    // Another address is not refused.
    const elsewhere = await bed.proxy.app.inject({
      method: 'GET',
      url: '/v1/me',
      remoteAddress: '10.0.0.7',
      headers: { authorization: `tma ${(userAuth(bed.proxy, 2001) as { initData: string }).initData}` },
    });
    expect(elsewhere.statusCode).toBe(200);
  });
});
