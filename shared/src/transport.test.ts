import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchTransport, nodeTransport, type Transport } from './transport';

// A server with a JSON route, an error route and an SSE route that streams three events and ends (or, with
// ?forever, keeps the stream open); it notes the client port of every request (one port, one connection).
let server: http.Server;
let base = '';
const ports: number[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    ports.push(req.socket.remotePort ?? 0);
    if (req.url === '/json') {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, body, auth: req.headers.authorization ?? null }));
      });
      return;
    }
    if (req.url === '/missing') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"not_found","message":"no such thing"}}');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let n = 0;
    const tick = setInterval(() => {
      res.write(`data: ${n++}\n\n`);
      if (n === 3 && !req.url?.includes('forever')) {
        clearInterval(tick);
        res.end();
      }
    }, 5);
    res.on('close', () => clearInterval(tick));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const transports: Array<[string, Transport]> = [
  ['node:http', nodeTransport(http, https)],
  ['fetch', fetchTransport(globalThis.fetch.bind(globalThis))],
];

describe.each(transports)('the %s transport', (_name, send) => {
  it('sends method, headers and body, and reads status, type and text', async () => {
    const res = await send({
      method: 'POST',
      url: `${base}/json`,
      headers: { authorization: 'tma x', 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect([res.status, res.ok]).toEqual([200, true]);
    expect(res.contentType).toContain('application/json');
    expect(JSON.parse(await res.text())).toEqual({ method: 'POST', body: '{"a":1}', auth: 'tma x' });
    const missing = await send({ method: 'GET', url: `${base}/missing`, headers: {} });
    expect([missing.status, missing.ok]).toEqual([404, false]);
    expect(await missing.text()).toContain('not_found');
  });

  it('streams a body piece by piece', async () => {
    const res = await send({ method: 'GET', url: `${base}/events`, headers: {} });
    let text = '';
    for await (const piece of res.chunks()) text += piece;
    expect(text).toBe('data: 0\n\ndata: 1\n\ndata: 2\n\n');
  });

  it('fails a stream that is aborted while it is being read', async () => {
    const controller = new AbortController();
    const res = await send({
      method: 'GET',
      url: `${base}/events?forever`,
      headers: {},
      signal: controller.signal,
    });
    const read = (async () => {
      for await (const _ of res.chunks()) controller.abort(new Error('timed out'));
    })();
    await expect(read).rejects.toThrow();
    await expect(
      send({ method: 'GET', url: `${base}/json`, headers: {}, signal: controller.signal }),
    ).rejects.toThrow();
  });
});

it('node:http hands a released stream connection back for the next request', async () => {
  const send = nodeTransport(http, https);
  const first = ports.length;
  for (let i = 0; i < 3; i++) {
    const res = await send({ method: 'GET', url: `${base}/events`, headers: {} });
    for await (const piece of res.chunks()) if (piece.includes('data: 2')) break;
    res.release();
    await new Promise((r) => setTimeout(r, 20)); // the end of the response arrives
  }
  await (await send({ method: 'POST', url: `${base}/json`, headers: {}, body: '' })).text();
  const used = ports.slice(first);
  expect(used).toHaveLength(4);
  expect(new Set(used).size).toBe(1);
});
