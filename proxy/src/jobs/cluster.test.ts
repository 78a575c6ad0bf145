// Two proxy processes' worth of state on one PostgreSQL: the client talks to proxy A, the rigs are
// connected to proxy B. The job is handed over with LISTEN/NOTIFY and its stream relayed back.
// Needs a real PostgreSQL (DATABASE_URL); CI runs the database suites on one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyServer } from '../app';
import type { Db } from '../db';
import { ledgerTotals } from '../ledger/ledger';
import { openTestDb, resetDb, spendableNano, startTestProxy, userClient } from '../testing/harness';
import { startTestWorker, type TestWorker } from '../testing/test-worker';

const TRIAL = 500_000_000n;

describe.skipIf(!process.env.DATABASE_URL)('several proxies on one PostgreSQL', () => {
  let dbA: Db;
  let dbB: Db;
  let a: ProxyServer;
  let b: ProxyServer;
  const workers: TestWorker[] = [];

  beforeAll(async () => {
    dbA = await openTestDb();
    dbB = await openTestDb();
    await resetDb(dbA);
    a = await startTestProxy(dbA);
    b = await startTestProxy(dbB);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await a?.close();
    await b?.close();
    await dbA?.close();
    await dbB?.close();
  });

  it('hands a job to the proxy that holds the rig and streams the result back', async () => {
    const owner = userClient(b, 3001);
    const { rig, token } = await owner.registerRig('rig on B');
    const w = startTestWorker({ url: b.url, token, delayMs: 5 });
    workers.push(w);
    await w.rigId;
    await owner.setAsk(rig.id, 'test-echo', 1_000_000n);

    const user = userClient(a, 4001);
    const deltas: string[] = [];
    const res = await user.runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'across two proxies', maxTokens: 8 },
      onDelta: (d) => deltas.push(d),
    });
    expect(res.text).toBe('ACROSS TWO PROXIES');
    expect(deltas.join('')).toBe('ACROSS TWO PROXIES');
    expect(res.rigId).toBe(rig.id);
    expect(w.received).toEqual([res.jobId]);
    // 3 + 3 tokens at 1,000,000 per 1k = 6,000 to the owner, + 10 % fee.
    expect(res.costNano).toBe(6_600n);
    expect(await spendableNano(dbA, '4001')).toBe(TRIAL - 6_600n);
    expect(await spendableNano(dbA, '3001')).toBe(TRIAL + 6_000n);
    expect(await ledgerTotals(dbA)).toEqual({ entries: 0n, balances: 0n });
  });

  it('dispatches each job once when both proxies sweep the same queue', async () => {
    const owner = userClient(b, 3001);
    const user = userClient(a, 4002);
    const rigs = (await owner.rigs()).rigs;
    expect(rigs[0].online).toBe(true);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        user.runJob({ model: 'test-echo', body: { kind: 'generate', prompt: `job ${i}`, maxTokens: 4 } }),
      ),
    );
    expect(new Set(results.map((r) => r.jobId)).size).toBe(8);
    const settles = await dbA.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM ledger_tx WHERE kind = 'settle'",
    );
    expect(Number(settles.rows[0].n)).toBe(9);
    expect(workers[0].received.length).toBe(9);
    expect(await ledgerTotals(dbA)).toEqual({ entries: 0n, balances: 0n });
  });

  it('queues across both proxies: a one-slot rig on B gets one job at a time, every job done in turn', async () => {
    const owner = userClient(b, 3002);
    const { rig, token } = await owner.registerRig('one slot on B');
    const w = startTestWorker({ url: b.url, token, delayMs: 40, slots: 1 });
    workers.push(w);
    await w.rigId;
    // Cheaper than the first rig, which is paused: only this one serves.
    await owner.setAsk(rig.id, 'test-echo', 1_000n);
    await userClient(b, 3001).setRigPaused((await userClient(b, 3001).rigs()).rigs[0].id, true);
    // Half the clients on each proxy: both sweep, kick and claim the same queue.
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        userClient(i % 2 ? a : b, 4100 + i).runJob({
          model: 'test-echo',
          body: { kind: 'generate', prompt: `queued job ${i} of six`, maxTokens: 8 },
        }),
      ),
    );
    expect(results.map((r) => r.rigId)).toEqual(Array(6).fill(rig.id));
    const rows = await dbA.query<{ started_at: Date; finished_at: Date }>(
      "SELECT started_at, finished_at FROM jobs WHERE rig_id = $1 AND state = 'done' ORDER BY started_at",
      [rig.id],
    );
    expect(rows.rows).toHaveLength(6);
    // Never two at once on its one slot, by the proxies' own count.
    for (let i = 1; i < 6; i++)
      expect(rows.rows[i].started_at.getTime()).toBeGreaterThanOrEqual(
        rows.rows[i - 1].finished_at.getTime(),
      );
    expect(await ledgerTotals(dbA)).toEqual({ entries: 0n, balances: 0n });
  });
});
