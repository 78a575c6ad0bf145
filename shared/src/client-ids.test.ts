// A client checks the result it opens against the receipt its rig signed: v1 results (older workers) and v2
// results (with token ids) are both shown when they hold; a v2 result whose completion tokens are not its ids
// (charged for more than it generated) or whose counts differ from the receipt is not shown, and reported.
// A stand-in HTTP server plays the proxy and the rig.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toBase64 } from './bytes';
import { ApiError, createCocoonClient } from './client';
import { commitResult } from './crypto/commitment';
import { openJob, sealResultPart } from './crypto/envelope';
import { newEd25519KeyPair, newX25519KeyPair } from './crypto/keys';
import type { FinalResult } from './schemas/envelope';

const rig = newX25519KeyPair();
const rigId = randomUUID();
let server: Server;
let url = '';
/** What the rig seals, and the counts its receipt (the done event) says. */
let rigResult: Omit<FinalResult, 'salt'>;
let receiptCounts: { promptTokens: number; completionTokens: number } | undefined;
const reports: string[] = [];

function quoteResponse() {
  return {
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
        res.end(JSON.stringify(quoteResponse()));
        return;
      }
      if (req.url?.endsWith('/report')) {
        reports.push(JSON.parse(body).reason);
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true }));
        return;
      }
      const { quoteId, envelope } = JSON.parse(body);
      const { state } = openJob(envelope, rigId, rig.secretKey, quoteId);
      const { final, commitment } = commitResult(rigResult);
      const counts = receiptCounts ?? {
        promptTokens: final.promptTokens,
        completionTokens: final.completionTokens,
      };
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const send = (e: unknown) => res.write(`data: ${JSON.stringify(e)}\n\n`);
      send({ type: 'state', state: 'running', rigId, attempt: 0 });
      const result = sealResultPart(state, 'final', final);
      send({ type: 'done', rigId, result, commitment, costNano: '0', ...counts });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  reports.length = 0;
  receiptCounts = undefined;
});

const run = () =>
  createCocoonClient({ baseUrl: url, auth: { kind: 'apiKey', key: 'ck_test' } }).runJob({
    model: 'test-echo',
    body: { kind: 'generate', prompt: 'hi', maxTokens: 10 },
  });
const v1 = { text: 'general kenobi', promptTokens: 1, completionTokens: 3, finishReason: 'stop' as const };

describe('the client checks an opened result against its receipt', () => {
  it('shows an honest v1 result (older workers) and an honest v2 result, without the ids', async () => {
    rigResult = v1;
    expect(await run()).toMatchObject({ text: 'general kenobi', completionTokens: 3 });
    rigResult = { ...v1, tokenIds: [5, 9, 2] };
    const r = await run();
    expect(r).toMatchObject({ text: 'general kenobi', completionTokens: 3 });
    expect(r).not.toHaveProperty('tokenIds');
    expect(reports).toEqual([]);
  });

  it('refuses and reports a v2 result that charges for more tokens than its ids', async () => {
    rigResult = { ...v1, completionTokens: 9, tokenIds: [5, 9, 2] };
    const err = await run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 502, code: 'token_count_mismatch' });
    expect((err as Error).message).toMatch(/counts 9 completion tokens but carries 3 token ids/);
    expect(reports).toEqual(['token_count_mismatch']);
  });

  it('refuses a v2 result with more ids than the job allows', async () => {
    rigResult = { ...v1, completionTokens: 11, tokenIds: new Array(11).fill(4) };
    await expect(run()).rejects.toMatchObject({ code: 'token_count_mismatch' });
  });

  it('refuses a result whose counts differ from the receipt the proxy charged', async () => {
    rigResult = { ...v1, tokenIds: [5, 9, 2] };
    receiptCounts = { promptTokens: 1, completionTokens: 8 };
    await expect(run()).rejects.toMatchObject({ code: 'token_count_mismatch' });
    rigResult = v1;
    await expect(run()).rejects.toMatchObject({ code: 'token_count_mismatch' });
  });
});
