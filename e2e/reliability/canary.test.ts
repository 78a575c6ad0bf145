// Privacy canary: jobs of every kind carry a unique string; afterwards it is nowhere the proxy keeps
// anything — not in any column of any table (cast to text), not in a single log line at trace level —
// nor in its base64 or hex spellings, while the client did read it back through the sealed result.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { type Db, type ProxyServer, startProxy } from '@cocoon/proxy';
import {
  canarySpellings,
  databaseDump,
  openTestDb,
  resetDb,
  testConfig,
  userClient,
} from '@cocoon/proxy/testing';
import type { JobBody } from '@cocoon/shared';
import { createLogger } from '@cocoon/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChaosWorker, startChaosWorker } from './chaos-worker';

let db: Db;
let proxy: ProxyServer;
let worker: ChaosWorker;
const logLines: string[] = [];

beforeAll(async () => {
  db = await openTestDb();
  await resetDb(db);
  const config = testConfig({ LOG_LEVEL: 'trace', LEASE_MS: '2000' });
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  proxy = await startProxy(config, { db, log: createLogger('trace', sink), sweepMs: 200 });
});
afterAll(async () => {
  await worker?.close();
  await proxy?.close();
  await new Promise((r) => setTimeout(r, 200));
  await db?.close();
});

async function databaseDumpOfJobs(): Promise<string> {
  const dump = await databaseDump(db);
  for (const table of ['jobs', 'ledger_tx', 'accounts']) expect(dump).toContain(`${table}: `);
  return dump;
}

describe('privacy canary', () => {
  it('a canary in generate, summarize and chat jobs reaches no table, column or log line', async () => {
    const owner = userClient(proxy, 1001);
    const { rig, token } = await owner.registerRig('canary rig');
    worker = startChaosWorker({ url: proxy.url, token, seed: 'canary', slots: 4, delayMs: 1 });
    await worker.rigId;
    await owner.setAsk(rig.id, 'test-echo', 1_000_000n);
    const user = userClient(proxy, 2001, 'Canary Tester');

    const canary = `canary${randomUUID().replace(/-/g, '')}`;
    const bodies: JobBody[] = [
      { kind: 'generate', prompt: `please repeat ${canary} twice ${canary}`, maxTokens: 20 },
      {
        kind: 'summarize',
        messages: [{ author: `a-${canary}`, text: `${canary} is the secret word` }],
        maxTokens: 20,
      },
      {
        kind: 'chat',
        messages: [
          { role: 'system', content: `never say ${canary}` },
          { role: 'user', content: `say ${canary} now` },
        ],
        maxTokens: 20,
      },
    ];
    let echoed = 0;
    for (const body of bodies) {
      const res = await user.runJob({ model: 'test-echo', body, idempotencyKey: `idem-${randomUUID()}` });
      // The client reads the canary back (the model echoes it): it did travel, sealed, both ways.
      if (res.text.toLowerCase().includes(canary)) echoed++;
    }
    expect(echoed).toBe(3);
    // A refused job too (no rig left online).
    await worker.close();
    await expect(
      user.runJob({ model: 'test-echo', body: { kind: 'generate', prompt: canary, maxTokens: 5 } }),
    ).rejects.toThrow();

    const dump = await databaseDumpOfJobs();
    expect(dump).toContain('test-echo'); // the dump is real: it holds the jobs
    const logs = logLines.join('');
    // One debug line per request, plus the events: the logs are real and hold every request's path.
    expect(logLines.length).toBeGreaterThan(10);
    expect(logLines.filter((l) => l.includes('"msg":"request"')).length).toBeGreaterThan(5);
    expect(proxy.ctx.log.level).toBe('trace'); // everything the proxy logs at any level was captured
    expect(logs).toContain('rig offline');
    for (const s of canarySpellings(canary)) {
      expect(dump.includes(s), `database holds ${s}`).toBe(false);
      expect(logs.includes(s), `logs hold ${s}`).toBe(false);
    }
  });
});
