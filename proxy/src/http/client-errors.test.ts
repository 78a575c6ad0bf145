// Errors the HTTP parser raises before routing come back in the API's error shape.
import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ProxyServer } from '../app';
import type { Db } from '../db';
import { openTestDb, startTestProxy } from '../testing/harness';

let db: Db;
let proxy: ProxyServer;
beforeAll(async () => {
  db = await openTestDb();
  proxy = await startTestProxy(db);
});
afterAll(async () => {
  await proxy?.close();
  await db?.close();
});

function raw(request: string): Promise<string> {
  const { hostname, port } = new URL(proxy.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request));
    let data = '';
    socket.on('data', (d) => {
      data += d.toString();
    });
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
  });
}

it('answers oversized headers with 431 in the { error: { code, message } } shape', async () => {
  const res = await raw(`GET /v1/market HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  expect(res.startsWith('HTTP/1.1 431 ')).toBe(true);
  const body = JSON.parse(res.slice(res.indexOf('\r\n\r\n') + 4));
  expect(body).toEqual({ error: { code: 'headers_too_large', message: expect.stringContaining('headers') } });
});

it('answers a malformed request line with 400 in the same shape', async () => {
  const res = await raw('NOT A REQUEST\r\n\r\n');
  expect(res.startsWith('HTTP/1.1 400 ')).toBe(true);
  expect(JSON.parse(res.slice(res.indexOf('\r\n\r\n') + 4)).error.code).toBe('bad_request');
});
