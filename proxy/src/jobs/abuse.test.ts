// Attacks by a rig on the market, each against the real proxy with a protocol-real attacking worker: what
// must hold is that the attack fails that one job attempt (or that rig), never the process, and honest jobs
// finish.
import { type CocoonClient, WORKER_CLOSE } from '@cocoon/shared';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ProxyServer } from '../app';
import type { Db } from '../db';
import { ledgerTotals } from '../ledger/ledger';
import { openTestDb, resetDb, startTestProxy, userClient } from '../testing/harness';
import { startTestWorker, type TestWorker, type TestWorkerBehaviour } from '../testing/test-worker';

let db: Db;
let proxy: ProxyServer;
let workers: TestWorker[] = [];

beforeAll(async () => {
  db = await openTestDb();
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  await resetDb(db);
});
afterEach(async () => {
  await Promise.all(workers.map((w) => w.close()));
  workers = [];
  await proxy?.close();
});

async function startProxy(env: Record<string, string> = {}) {
  proxy = await startTestProxy(db, { LEASE_MS: '2000', ...env });
  return proxy;
}

/** A rig of `ownerId` with `behaviour`, asking `price` for test-echo. */
async function rig(ownerId: number, price: bigint, behaviour: TestWorkerBehaviour = 'ok') {
  const owner = userClient(proxy, ownerId);
  const { rig: view, token } = await owner.registerRig(`rig-${ownerId}-${behaviour}`);
  const worker = startTestWorker({ url: proxy.url, token, behaviour });
  workers.push(worker);
  await worker.rigId;
  await owner.setAsk(view.id, 'test-echo', price);
  return { id: view.id, worker, owner };
}

const generate = (c: CocoonClient, prompt: string, maxTokens = 10) =>
  c.runJob({ model: 'test-echo', body: { kind: 'generate', prompt, maxTokens } });

describe('a rig that sends more than a job is worth', () => {
  it('streaming past the token budget loses the job and its socket; the next rig finishes it', async () => {
    await startProxy();
    const flood = await rig(1001, 1_000n, 'huge-result');
    const honest = await rig(1002, 2_000n);
    const res = await generate(userClient(proxy, 2001), 'three honest words');
    expect(res.text).toBe('THREE HONEST WORDS');
    expect(res.rigId).toBe(honest.id);
    expect((await flood.worker.closedWith).code).toBe(WORKER_CLOSE.overLimit);
    expect(proxy.ctx.hub.keptBytes).toBe(0);
    expect(await ledgerTotals(db)).toEqual({ entries: 0n, balances: 0n });
  });

  it('a final result past the token budget is not paid and fails over', async () => {
    await startProxy();
    await rig(1001, 1_000n, 'huge-final');
    const honest = await rig(1002, 2_000n);
    const res = await generate(userClient(proxy, 2001), 'a b c');
    expect(res).toMatchObject({ text: 'A B C', rigId: honest.id });
    const job = (await db.query<{ fail_reason: string }>('SELECT fail_reason FROM jobs')).rows[0];
    expect(job.fail_reason).toMatch(/larger than the job's token budget/);
  });

  it('a socket that floods frames is closed with a reason, and the proxy keeps serving', async () => {
    await startProxy({ RIG_BURST_BYTES: String(2 * 1024 * 1024), RIG_BYTES_PER_S: String(1024 * 1024) });
    const honest = await rig(1002, 2_000n);
    const owner = userClient(proxy, 1003);
    const { token } = await owner.registerRig('flooder');
    const ws = new WebSocket(`${proxy.url.replace(/^http/, 'ws')}/v1/worker`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await new Promise((r) => ws.once('open', r));
    const code = new Promise<number>((r) => ws.once('close', (c) => r(c)));
    const junk = JSON.stringify({ type: 'heartbeat', running: [], pad: 'z'.repeat(512 * 1024) });
    for (let i = 0; i < 40 && ws.readyState === ws.OPEN; i++) ws.send(junk);
    expect(await code).toBe(WORKER_CLOSE.overLimit);
    const res = await generate(userClient(proxy, 2001), 'still serving');
    expect(res).toMatchObject({ text: 'STILL SERVING', rigId: honest.id });
  });
});
