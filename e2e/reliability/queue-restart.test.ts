// The queue is database state (issue #28): a job waiting for a busy rig stays queued across a proxy restart,
// and runs once the rig (reconnected, its keys kept) has a free slot again. Real proxy on PGlite (or
// PostgreSQL with DATABASE_URL), a protocol-real rig that reconnects with its keys, and the shared client,
// whose stream resumes at the restarted proxy.
import type { Db, ProxyServer } from '@cocoon/proxy';
import { openTestDb, resetDb, startTestProxy, userClient } from '@cocoon/proxy/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ChaosWorker, startChaosWorker } from './chaos-worker';

let db: Db;
let proxy: ProxyServer | undefined;
let worker: ChaosWorker | undefined;

beforeAll(async () => {
  db = await openTestDb();
  await resetDb(db);
});
afterAll(async () => {
  await worker?.close();
  await proxy?.close();
  await db?.close();
});

const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');

async function stateOf(jobId: string): Promise<string | undefined> {
  const r = await db.query<{ state: string }>('SELECT state FROM jobs WHERE id = $1', [jobId]);
  return r.rows[0]?.state;
}

async function until(what: string, ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

it('a job waiting for a busy rig stays queued across a proxy restart, then runs there', async () => {
  const env = { LEASE_MS: '2000', HEARTBEAT_MS: '500', RIG_COOLDOWN_MS: '0' };
  proxy = await startTestProxy(db, env, 100);
  const port = new URL(proxy.url).port;
  const owner = userClient(proxy, 1001);
  const { rig, token } = await owner.registerRig('one slot');
  worker = startChaosWorker({
    url: proxy.url,
    token,
    seed: 'queue-restart',
    slots: 1,
    delayMs: 60,
    reconnects: 100,
    reconnectDelayMs: 100,
  });
  await worker.rigId;
  await owner.setAsk(rig.id, 'test-echo', 1_000n);

  // The rig's one slot busy; a second job waits in line.
  const blocker = userClient(proxy, 2001)
    .runJob({ model: 'test-echo', body: { kind: 'generate', prompt: words(40, 'b'), maxTokens: 40 } })
    .catch((e: Error) => e);
  await until('the blocker running', async () => worker!.assigned.length === 1);
  const places: number[] = [];
  const waiting = userClient(proxy, 2002).runJob({
    model: 'test-echo',
    body: { kind: 'generate', prompt: 'waited through a restart', maxTokens: 8 },
    onQueued: (p) => places.push(p.position),
  });
  await until('the second job in line', async () => places.length > 0);
  const queued = await db.query<{ id: string }>("SELECT id FROM jobs WHERE state = 'queued'");
  expect(queued.rows).toHaveLength(1);
  const jobId = queued.rows[0].id;

  // Restart the proxy on the same database and port: the waiting job is a row, still in line.
  await proxy.close();
  expect(await stateOf(jobId)).toBe('queued');
  proxy = await startTestProxy(db, { ...env, PORT: port }, 100);
  await worker.nextWelcome();

  // The rig reconnected without the blocker (its socket dropped): the blocker's lease lapses, its slot
  // frees, and the waiting job runs.
  const res = await waiting;
  expect(res).toMatchObject({ jobId, text: 'WAITED THROUGH A RESTART', rigId: rig.id });
  expect(places[0]).toBe(1);
  expect(await stateOf(jobId)).toBe('done');
  await blocker;
});
