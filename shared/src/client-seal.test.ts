// One rig with a malformed X25519 key must not stop every job (issue 26, item 3): the client leaves out a
// candidate it can't seal to (not 32 bytes, a low-order point) and seals to the rest; it fails only when
// none is left, saying why. A stand-in HTTP server plays a proxy whose quote names such rigs beside an
// honest one, and the honest rig.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toBase64 } from './bytes';
import { createCocoonClient } from './client';
import { commitResult } from './crypto/commitment';
import { openJob, sealResultPart } from './crypto/envelope';
import { newEd25519KeyPair, newX25519KeyPair } from './crypto/keys';

const honest = { id: randomUUID(), keys: newX25519KeyPair() };
const zeroKey = toBase64(new Uint8Array(32));
const shortKey = toBase64(new Uint8Array(31).fill(7));
/** A low-order point of order 8, with the top bit set (another encoding of the same point). */
const order8 = toBase64(
  Uint8Array.from(Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880', 'hex')),
);

let candidates: Array<{ rigId: string; key: string }> = [];
const addressed: string[][] = [];
let server: Server;
let url = '';

function quote() {
  return {
    quoteId: randomUUID(),
    model: 'test-echo',
    kind: 'generate',
    holdNano: '0',
    feeBps: 0,
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    candidates: candidates.map((c) => ({
      rigId: c.rigId,
      priceNanoPer1k: '0',
      x25519PublicKey: c.key,
      ed25519PublicKey: toBase64(newEd25519KeyPair().publicKey),
      device: 'cpu',
    })),
  };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      if (req.url === '/v1/quotes') {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify(quote()));
        return;
      }
      const { quoteId, envelope } = JSON.parse(body);
      addressed.push(envelope.recipients.map((r: { rigId: string }) => r.rigId));
      const { state } = openJob(envelope, honest.id, honest.keys.secretKey, quoteId);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const send = (e: unknown) => res.write(`data: ${JSON.stringify(e)}\n\n`);
      const { final, commitment } = commitResult({
        text: 'HI',
        promptTokens: 1,
        completionTokens: 1,
        finishReason: 'stop',
      });
      const result = sealResultPart(state, 'final', final);
      send({
        type: 'done',
        rigId: honest.id,
        result,
        commitment,
        costNano: '0',
        promptTokens: 1,
        completionTokens: 1,
      });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const run = () =>
  createCocoonClient({ baseUrl: url, auth: { kind: 'apiKey', key: 'ck_test' } }).runJob({
    model: 'test-echo',
    body: { kind: 'generate', prompt: 'hi', maxTokens: 10 },
  });

it('leaves out candidates with a short, an all-zero or a low-order key and seals to the rest', async () => {
  const bad = [zeroKey, shortKey, order8].map((key) => ({ rigId: randomUUID(), key }));
  candidates = [bad[0], { rigId: honest.id, key: toBase64(honest.keys.publicKey) }, bad[1]];
  expect((await run()).text).toBe('HI');
  candidates = [bad[2], { rigId: honest.id, key: toBase64(honest.keys.publicKey) }];
  expect((await run()).text).toBe('HI');
  expect(addressed).toEqual([[honest.id], [honest.id]]);
});

it('with no candidate left to seal to, fails with a clear error and submits nothing', async () => {
  addressed.length = 0;
  candidates = [zeroKey, shortKey].map((key) => ({ rigId: randomUUID(), key }));
  const err = (await run().catch((e: Error) => e)) as Error & { code?: string };
  expect(err).toMatchObject({ code: 'no_sealable_rig' });
  expect(err.message).toMatch(/32 bytes/);
  expect(err.message).toMatch(/low-order/);
  expect(addressed).toEqual([]);
});
