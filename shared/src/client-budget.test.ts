// The client bounds what a job shows by its token budget by itself, whatever the proxy lets through: a
// proxy (here a stand-in HTTP server playing a hostile proxy and rig together) that streams and returns far
// more text than maxTokens allows gets it cut to resultByteBudget(maxTokens), marked truncated.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toBase64, utf8 } from './bytes';
import { createCocoonClient } from './client';
import { commitResult } from './crypto/commitment';
import { openJob, sealResultPart } from './crypto/envelope';
import { newEd25519KeyPair, newX25519KeyPair } from './crypto/keys';
import { resultByteBudget } from './result-budget';

const rig = newX25519KeyPair();
const rigId = randomUUID();
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      if (req.url === '/v1/quotes') {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            quoteId: randomUUID(),
            model: 'test-echo',
            kind: 'generate',
            holdNano: '0',
            feeBps: 0,
            expiresAt: new Date(Date.now() + 60_000).toISOString(),
            candidates: [
              {
                rigId,
                priceNanoPer1k: '0',
                x25519PublicKey: toBase64(rig.publicKey),
                ed25519PublicKey: toBase64(newEd25519KeyPair().publicKey),
                device: 'cpu',
              },
            ],
          }),
        );
        return;
      }
      const { quoteId, envelope } = JSON.parse(body);
      const { state } = openJob(envelope, rigId, rig.secretKey, quoteId);
      const flood = 'x'.repeat(50_000);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const send = (e: unknown) => res.write(`data: ${JSON.stringify(e)}\n\n`);
      send({ type: 'state', state: 'running', rigId, attempt: 0 });
      for (let seq = 0; seq < 5; seq++)
        send({ type: 'chunk', rigId, attempt: 0, seq, sealed: sealResultPart(state, seq, { delta: flood }) });
      const { final, commitment } = commitResult({
        text: flood.repeat(5),
        promptTokens: 1,
        completionTokens: 10,
        finishReason: 'stop',
      });
      const result = sealResultPart(state, 'final', final);
      send({ type: 'done', rigId, result, commitment, costNano: '0', promptTokens: 1, completionTokens: 10 });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

it('cuts a stream and a result past the job token budget, and says so', async () => {
  const client = createCocoonClient({ baseUrl: url, auth: { kind: 'apiKey', key: 'ck_test' } });
  let shown = '';
  const res = await client.runJob({
    model: 'test-echo',
    body: { kind: 'generate', prompt: 'hi', maxTokens: 10 },
    onDelta: (d) => {
      shown += d;
    },
  });
  const budget = resultByteBudget(10);
  expect(utf8.encode(shown).length).toBe(budget);
  expect(utf8.encode(res.text).length).toBe(budget);
  expect(res.truncated).toBe(true);
});
