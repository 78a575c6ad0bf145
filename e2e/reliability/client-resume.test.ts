// The shared client's runJob survives a proxy restart: the stream breaks, the client reopens it at the
// next proxy (the same address) and reads the job to its end, instead of reporting it aborted at once.
// The rigs are chaos workers: they keep their keys and reconnect, as real rigs do.
import type { Db, ProxyServer } from '@cocoon/proxy';
import { openTestDb, resetDb, startTestProxy, userClient } from '@cocoon/proxy/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ChaosWorker, startChaosWorker } from './chaos-worker';

let db: Db;
let proxy: ProxyServer | undefined;
const workers: ChaosWorker[] = [];

beforeAll(async () => {
  db = await openTestDb();
  await resetDb(db);
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  await proxy?.close();
  await db?.close();
});

it('a job whose proxy restarts mid-stream is followed to its end at the next proxy', async () => {
  const env = { LEASE_MS: '2000', HEARTBEAT_MS: '1000' };
  proxy = await startTestProxy(db, env, 100);
  const url = proxy.url;
  const port = new URL(url).port;
  for (const [i, delayMs] of [300, 0].entries()) {
    const owner = userClient(proxy, 1001 + i);
    const { rig, token } = await owner.registerRig(`rig-${i}`);
    const w = startChaosWorker({
      url,
      token,
      seed: `resume-${i}`,
      delayMs,
      reconnects: 50,
      reconnectDelayMs: 200,
    });
    workers.push(w);
    await w.rigId;
    await owner.setAsk(rig.id, 'test-echo', BigInt(1000 * (i + 1)));
  }

  const user = userClient(proxy, 2001);
  let firstDelta!: () => void;
  const streaming = new Promise<void>((r) => {
    firstDelta = r;
  });
  const job = user.runJob({
    model: 'test-echo',
    body: { kind: 'generate', prompt: 'one two three four five six', maxTokens: 10 },
    onDelta: () => firstDelta(),
    timeoutMs: 60_000,
  });

  // The proxy goes away mid-stream and a new one comes up on the same address; the rigs reconnect to it.
  await streaming;
  await proxy.close();
  proxy = await startTestProxy(db, { ...env, PORT: port }, 100);

  const res = await job;
  expect(res.text).toBe('ONE TWO THREE FOUR FIVE SIX');
  expect((await userClient(proxy, 2001).job(res.jobId)).state).toBe('done');
});
