// Attacks on the worker channel without credentials (issue 26, item 6): upgrades with random tokens from one
// IP, refused sockets whose peer never answers the close handshake, and sockets that never say hello. Each
// against the real proxy on a random port with real WebSockets; what must hold is that the proxy keeps no
// socket for them, and refuses before it looks a token up.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { newX25519KeyPair, toBase64, WORKER_CLOSE } from '@cocoon/shared';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { userClient } from '../../testing/harness';
import { useTestBed } from '../../testing/test-bed';

const bed = useTestBed();

const wsUrl = () => `${bed.proxy.url.replace(/^http/, 'ws')}/v1/worker`;

/** Opens a worker socket with `token`; resolves with the HTTP status of a refused upgrade, or the close code. */
function tryUpgrade(token: string): Promise<{ status?: number; code?: number; reason?: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl(), { headers: { authorization: `Bearer ${token}` } });
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode });
      res.resume();
      ws.terminate();
    });
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.once('error', () => {});
  });
}

describe('worker upgrades without credentials', () => {
  it('are limited per IP before the token lookup: over the bound, HTTP 429 and no upgrade', async () => {
    await bed.start({ RATE_WORKER_UPGRADES_PER_IP_PER_MIN: '5' });
    const outcomes = [];
    for (let i = 0; i < 8; i++) outcomes.push(await tryUpgrade(randomBytes(24).toString('hex')));
    expect(outcomes.slice(0, 5).map((o) => o.code)).toEqual(Array(5).fill(WORKER_CLOSE.badToken));
    expect(outcomes.slice(5).map((o) => o.status)).toEqual([429, 429, 429]);
  });

  it('a refused socket is cut, not kept for a close handshake the peer never sends', async () => {
    await bed.start();
    const { port } = new URL(bed.proxy.url);
    // A raw client that upgrades with a bad token and then never answers anything (no close frame back).
    const sock = net.connect(Number(port), '127.0.0.1');
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    let received = '';
    sock.on('data', (d) => {
      received += d.toString('latin1');
    });
    sock.on('error', () => {});
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(
      [
        'GET /v1/worker HTTP/1.1',
        `Host: 127.0.0.1:${port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
        `Authorization: Bearer ${randomBytes(24).toString('hex')}`,
        '',
        '',
      ].join('\r\n'),
    );
    // Closed by the proxy (ws alone waits 30 s for the peer's close frame: past this test's patience).
    await Promise.race([
      closed,
      new Promise((_, rej) => setTimeout(() => rej(new Error('the proxy kept the socket')), 10_000)),
    ]);
    expect(received).toMatch(/^HTTP\/1.1 101/);
    sock.destroy();
  });

  it('a socket that never says hello is closed at the hello deadline, junk frames or not', async () => {
    await bed.start({ HELLO_TIMEOUT_MS: '1000' });
    const { token } = await userClient(bed.proxy, 1001).registerRig('quiet');
    const ws = new WebSocket(wsUrl(), { headers: { authorization: `Bearer ${token}` } });
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      ws.once('close', (code, reason) => r({ code, reason: reason.toString() })),
    );
    await new Promise((r) => ws.once('open', r));
    const junk = setInterval(() => {
      if (ws.readyState === ws.OPEN) ws.send('not json');
    }, 200);
    try {
      const outcome = await Promise.race([
        closed,
        new Promise<never>((_, rej) => setTimeout(() => rej(new Error('still open without hello')), 15_000)),
      ]);
      expect(outcome.code).toBe(WORKER_CLOSE.heartbeatTimeout);
      expect(outcome.reason).toMatch(/hello/);
    } finally {
      clearInterval(junk);
      ws.terminate();
    }
  });
});

describe('a rig whose hello carries keys no one can seal to or check', () => {
  /** Says hello with these keys (base64); resolves with what the proxy answered: a welcome, or the close. */
  async function hello(
    token: string,
    x25519PublicKey: string,
    ed25519PublicKey = toBase64(new Uint8Array(32).fill(9)),
    protocol: 1 | 2 = 1,
  ) {
    const ws = new WebSocket(wsUrl(), { headers: { authorization: `Bearer ${token}` } });
    const outcome = new Promise<{ welcome?: true; code?: number; reason?: string; errors: string[] }>((r) => {
      const errors: string[] = [];
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data));
        if (msg.type === 'welcome') r({ welcome: true, errors });
        if (msg.type === 'error') errors.push(msg.message);
      });
      ws.once('close', (code, reason) => r({ code, reason: reason.toString(), errors }));
    });
    await new Promise((r) => ws.once('open', r));
    ws.send(
      JSON.stringify({
        type: 'hello',
        protocol,
        models: [{ id: 'test-echo', kinds: ['generate', 'summarize', 'chat'], contextLength: 4096 }],
        slots: 1,
        x25519PublicKey,
        ed25519PublicKey,
        device: 'cpu',
        version: 'attack',
      }),
    );
    const got = await outcome;
    ws.terminate();
    return got;
  }

  it('is refused with the reason (31 bytes, all zero, a 3 MB key), and every job still runs on the honest rig', async () => {
    await bed.start();
    const owner = userClient(bed.proxy, 1001);
    const { rig, token } = await owner.registerRig('attacker');
    const honest = await bed.rig(1002, 2_000n);

    const short = await hello(token, toBase64(new Uint8Array(31).fill(5)));
    expect(short).toMatchObject({
      code: WORKER_CLOSE.badHello,
      reason: expect.stringMatching(/x25519PublicKey/),
    });
    expect(short.errors.join(' ')).toMatch(/32 bytes/);
    const zero = await hello(token, toBase64(new Uint8Array(32)));
    expect(zero).toMatchObject({ code: WORKER_CLOSE.badHello });
    expect(zero.errors.join(' ')).toMatch(/low-order/);
    const huge = await hello(token, toBase64(new Uint8Array(2 * 1024 * 1024).fill(1)));
    expect(huge).toMatchObject({ code: WORKER_CLOSE.badHello });
    const badEd = await hello(token, toBase64(newX25519KeyPair().publicKey), toBase64(new Uint8Array(33)));
    expect(badEd).toMatchObject({
      code: WORKER_CLOSE.badHello,
      reason: expect.stringMatching(/ed25519PublicKey/),
    });
    await owner.setAsk(rig.id, 'test-echo', 0n).catch(() => {});

    // Nothing it said reaches a quote or the unauthenticated evidence route.
    const evidence = await bed.proxy.app.inject({ method: 'GET', url: `/v1/rigs/${rig.id}/evidence` });
    expect(evidence.body.length).toBeLessThan(64 * 1024);
    for (let i = 0; i < 5; i++) {
      const res = await userClient(bed.proxy, 2001).runJob({
        model: 'test-echo',
        body: { kind: 'generate', prompt: `job ${i}`, maxTokens: 10 },
      });
      expect(res).toMatchObject({ text: `JOB ${i}`, rigId: honest.id });
    }
  });

  it('with MIN_WORKER_PROTOCOL 2, a rig saying protocol 1 (results without token ids) is refused with why', async () => {
    // A rig downgrading to protocol 1 sends results with no ids: auditors can only score their re-encoded text
    // and an overcount is 'unable' (audit-runner.ts recountFinding). Once rigs have upgraded, the operator
    // closes that door.
    await bed.start({ MIN_WORKER_PROTOCOL: '2' });
    const { token } = await userClient(bed.proxy, 1001).registerRig('old');
    const ed = toBase64(new Uint8Array(32).fill(9));
    expect(await hello(token, toBase64(newX25519KeyPair().publicKey), ed, 1)).toMatchObject({
      code: WORKER_CLOSE.badHello,
      reason: expect.stringMatching(/protocol 1 .*MIN_WORKER_PROTOCOL 2/),
    });
    expect(await hello(token, toBase64(newX25519KeyPair().publicKey), ed, 2)).toMatchObject({
      welcome: true,
    });
  });

  it('a valid hello after refusals is welcomed', async () => {
    await bed.start();
    const { token } = await userClient(bed.proxy, 1001).registerRig('fixed');
    expect((await hello(token, toBase64(new Uint8Array(32)))).code).toBe(WORKER_CLOSE.badHello);
    expect(await hello(token, toBase64(newX25519KeyPair().publicKey))).toMatchObject({ welcome: true });
  });
});

/** Opens a worker socket: 'open' (token accepted; the test closes it), a refused upgrade's status, or the close code. */
function upgrade(token: string, headers: Record<string, string> = {}): Promise<string | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl(), { headers: { ...headers, authorization: `Bearer ${token}` } });
    // A refused token is closed right after the upgrade; an accepted one answers a junk frame (the channel
    // reads frames only once the token is accepted).
    ws.once('open', () => ws.send('junk'));
    ws.on('message', (data) => {
      if (String(data).includes('frame is not JSON')) {
        resolve('open');
        ws.terminate();
      }
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('close', (code) => resolve(code));
    ws.once('error', () => {});
  });
}

/** Upgrades `n` times with random tokens; each outcome. */
async function badUpgrades(n: number, headers: () => Record<string, string> = () => ({})) {
  const outcomes: (string | number)[] = [];
  for (let i = 0; i < n; i++) outcomes.push(await upgrade(randomBytes(24).toString('hex'), headers()));
  return outcomes;
}

// Attack B2: behind the documented reverse proxy every rig and every attacker arrive from 127.0.0.1.
describe('the worker upgrade bound behind a reverse proxy', () => {
  it('counts forwarded addresses separately when the proxy is trusted', async () => {
    await bed.start({ TRUST_PROXY: '127.0.0.1', RATE_WORKER_UPGRADES_PER_IP_PER_MIN: '5' });
    const { token } = await userClient(bed.proxy, 1001).registerRig('honest');
    const from = (ip: string) => () => ({ 'x-forwarded-for': ip });
    const bad = WORKER_CLOSE.badToken;
    expect(await badUpgrades(6, from('203.0.113.1'))).toEqual([bad, bad, bad, bad, bad, 429]);
    // A rig behind the same reverse proxy, from another client address, connects.
    expect(await upgrade(token, from('203.0.113.2')())).toBe('open');
  });

  it('without TRUST_PROXY ignores X-Forwarded-For, and counts refused upgrades only', async () => {
    await bed.start({ RATE_WORKER_UPGRADES_PER_IP_PER_MIN: '3' });
    const { token } = await userClient(bed.proxy, 1001).registerRig('honest');
    // A rig that reconnects often uses none of its address's bound.
    for (let i = 0; i < 5; i++) expect(await upgrade(token)).toBe('open');
    let n = 0;
    const spoofed = () => ({ 'x-forwarded-for': `192.0.2.${++n}` });
    const bad = WORKER_CLOSE.badToken;
    expect(await badUpgrades(4, spoofed)).toEqual([bad, bad, bad, 429]);
    // Once over, the address is refused before any token is looked up: a valid one too.
    expect(await upgrade(token, spoofed())).toBe(429);
  });

  it('counts an accepted token whose hello is refused', async () => {
    await bed.start({ RATE_WORKER_UPGRADES_PER_IP_PER_MIN: '2' });
    const { token } = await userClient(bed.proxy, 1001).registerRig('bad-hello');
    const badHello = () =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(wsUrl(), { headers: { authorization: `Bearer ${token}` } });
        ws.once('open', () => ws.send(JSON.stringify({ type: 'hello' })));
        ws.once('close', (code) => resolve(code));
        ws.once('error', () => {});
      });
    expect([await badHello(), await badHello()]).toEqual([WORKER_CLOSE.badHello, WORKER_CLOSE.badHello]);
    expect(await upgrade(token)).toBe(429);
  });
});
