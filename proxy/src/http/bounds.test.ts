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
      headers: { authorization: `Bearer ck_${randomBytes(16).toString('hex')}` },
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

const me = (proxy: ProxyServer, headers: Record<string, string>, remoteAddress = '127.0.0.1') =>
  proxy.app.inject({ method: 'GET', url: '/v1/me', remoteAddress, headers });
const badKey = () => `Bearer ck_${randomBytes(16).toString('hex')}`;

/** Sends `n` requests with made-up API keys; the statuses. */
async function badSignIns(proxy: ProxyServer, n: number, headers: () => Record<string, string> = () => ({})) {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++)
    statuses.push((await me(proxy, { ...headers(), authorization: badKey() })).statusCode);
  return statuses;
}

// Attack B2: behind the documented reverse proxy every caller arrives from 127.0.0.1, so a per-IP failure
// count on the connection's address locks everyone out. TRUST_PROXY names the reverse proxies whose
// X-Forwarded-For is believed; cheap credentials (initData, the service key) are never locked out.
describe('the failed sign-in bound behind a reverse proxy', () => {
  it('behind a trusted proxy, bad keys from one forwarded client do not lock out another', async () => {
    await bed.start({ TRUST_PROXY: '127.0.0.1', RATE_AUTH_FAILURES_PER_IP_PER_MIN: '5' });
    const { key } = await userClient(bed.proxy, 2001).createApiKey('honest');
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    expect(await badSignIns(bed.proxy, 6, () => from('203.0.113.1'))).toEqual([401, 401, 401, 401, 401, 429]);
    // Another client behind the same reverse proxy signs in with its API key.
    expect((await me(bed.proxy, { ...from('203.0.113.2'), authorization: `Bearer ${key}` })).statusCode).toBe(
      200,
    );
    // The attacker's own address stays refused, whatever it puts before the proxy's entry.
    const again = await me(bed.proxy, {
      ...from('198.51.100.1, 203.0.113.1'),
      authorization: `Bearer ${key}`,
    });
    expect(again.statusCode).toBe(429);
    // A connection that is not from the trusted proxy is counted by its own address: its header is ignored.
    let n = 0;
    const spoofed = () => ({ 'x-forwarded-for': `192.0.2.${++n}` });
    const direct: number[] = [];
    for (let i = 0; i < 6; i++)
      direct.push(
        (await me(bed.proxy, { ...spoofed(), authorization: badKey() }, '198.51.100.9')).statusCode,
      );
    expect(direct).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('an IPv6 client counts by its /64, and an IPv4 address written as IPv6 as itself', async () => {
    await bed.start({ TRUST_PROXY: '127.0.0.1', RATE_AUTH_FAILURES_PER_IP_PER_MIN: '5' });
    let n = 0;
    const rotating = () => ({ 'x-forwarded-for': `2001:db8::${(++n).toString(16)}` });
    expect(await badSignIns(bed.proxy, 6, rotating)).toEqual([401, 401, 401, 401, 401, 429]);
    expect(await badSignIns(bed.proxy, 6, () => ({ 'x-forwarded-for': '198.51.100.7' }))).toEqual([
      401, 401, 401, 401, 401, 429,
    ]);
    expect(await badSignIns(bed.proxy, 1, () => ({ 'x-forwarded-for': '::ffff:198.51.100.7' }))).toEqual([
      429,
    ]);
  });

  it('without TRUST_PROXY, X-Forwarded-For is ignored: a client cannot spoof its way around the bound', async () => {
    await bed.start({ RATE_AUTH_FAILURES_PER_IP_PER_MIN: '5' });
    const { key } = await userClient(bed.proxy, 2001).createApiKey('k');
    let n = 0;
    const spoofed = () => ({ 'x-forwarded-for': `192.0.2.${++n}` });
    expect(await badSignIns(bed.proxy, 6, spoofed)).toEqual([401, 401, 401, 401, 401, 429]);
    expect((await me(bed.proxy, { ...spoofed(), authorization: `Bearer ${key}` })).statusCode).toBe(429);
  });

  it('a valid Mini App user and the bot are served while their address is over the bound', async () => {
    await bed.start({ RATE_AUTH_FAILURES_PER_IP_PER_MIN: '5' });
    expect(await badSignIns(bed.proxy, 6)).toEqual([401, 401, 401, 401, 401, 429]);
    // initData is checked by HMAC and the service key by a constant-time compare: no lookup to protect.
    const tma = `tma ${(userAuth(bed.proxy, 2001) as { initData: string }).initData}`;
    expect((await me(bed.proxy, { authorization: tma })).statusCode).toBe(200);
    const service = { authorization: `Service ${bed.proxy.ctx.config.SERVICE_KEY}`, 'x-cocoon-user': '2002' };
    expect((await me(bed.proxy, service)).statusCode).toBe(200);
    // A bad one of either is still refused (401, and counted); lookup-backed credentials stay refused.
    expect(
      (await me(bed.proxy, { authorization: tma.replace(/hash=[0-9a-f]+/, `hash=${'0'.repeat(64)}`) }))
        .statusCode,
    ).toBe(401);
    expect((await me(bed.proxy, { authorization: 'Service not-the-key' })).statusCode).toBe(401);
    expect((await me(bed.proxy, { authorization: badKey() })).statusCode).toBe(429);
  });
});
