// Attacks on the queue (issue #28) by hostile rig owners, against the real proxy and protocol-real test
// workers: hoarding slots, pushing jobs to one's own other rig with busy refusals, coming back with another
// slot count. What must hold: honest users' jobs finish on the honest rig serving the model, a rig is never
// given more jobs than its slots, the ledger sums to zero and each hold is settled or released once.
import type { CocoonClient } from '@cocoon/shared';
import { describe, expect, it } from 'vitest';
import { ledgerTotals } from '../ledger/ledger';
import { until } from '../testing/audit-scenes';
import { userClient } from '../testing/harness';
import { useTestBed } from '../testing/test-bed';
import { startTestWorker, type TestWorkerOptions } from '../testing/test-worker';

const bed = useTestBed({ HEARTBEAT_MS: '1000', LEASE_MS: '5000', FIRST_TOKEN_BASE_MS: '3000' });

const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');
const generate = (c: CocoonClient, prompt: string) =>
  c.runJob({ model: 'test-echo', body: { kind: 'generate', prompt, maxTokens: prompt.split(' ').length } });

async function moneyBalances(): Promise<void> {
  expect(await ledgerTotals(bed.db)).toEqual({ entries: 0n, balances: 0n });
  const twice = await bed.db.query<{ ref: string }>(
    `SELECT ref FROM ledger_tx WHERE kind IN ('settle', 'release', 'expire') GROUP BY ref HAVING count(*) > 1`,
  );
  expect(twice.rows).toEqual([]);
}

/** A further rig of an owner that already has one. */
async function secondRig(ownerId: number, price: bigint, opts: Partial<TestWorkerOptions>) {
  const owner = userClient(bed.proxy, ownerId);
  const { rig, token } = await owner.registerRig(`rig-${ownerId}-b`);
  const worker = bed.track(startTestWorker({ url: bed.proxy.url, token, ...opts }));
  await worker.rigId;
  await owner.setAsk(rig.id, 'test-echo', price);
  return { id: rig.id, worker, token };
}

describe('a rig hoarding slots', () => {
  it('claims jobs and never starts them: they move on at the first-token deadline and all finish', async () => {
    await bed.start();
    // The cheapest rig says 4 slots, takes every job and keeps it "queued" in its heartbeats, never starting.
    const hoarder = await bed.rig(1001, 1_000n, 'ok', { slots: 4, stallAfterTokens: 0 });
    const honest = await bed.rig(1002, 2_000n, 'ok', { slots: 1, delayMs: 20 });
    const users = [2001, 2002, 2003, 2004, 2005].map((id) => userClient(bed.proxy, id));
    const results = await Promise.all(users.map((u, i) => generate(u, words(3, `u${i}w`))));
    expect(results.map((r) => r.rigId)).toEqual(users.map(() => honest.id));
    expect(results.map((r) => r.text)).toEqual(users.map((_, i) => words(3, `u${i}w`).toUpperCase()));
    // Never more than its slots: the fifth job was not given to the hoarder while it held four.
    expect(hoarder.worker.received.length).toBe(4);
    await moneyBalances();
  });
});

describe('busy refusals', () => {
  it("can't push a job to the refusing owner's other rig: another owner's rig gets it first", async () => {
    await bed.start();
    const refuser = await bed.rig(1001, 1_000n, 'fail');
    const own = await secondRig(1001, 1_500n, {});
    const honest = await bed.rig(1002, 2_000n);
    const res = await generate(userClient(bed.proxy, 2001), words(3, 'w'));
    expect(refuser.worker.received).toHaveLength(1);
    expect(res.rigId).toBe(honest.id);
    expect(own.worker.received).toHaveLength(0);
    await moneyBalances();
  });
});

describe('a rig coming back with fewer slots', () => {
  it('is given no more jobs than its new slots, and new jobs finish on it while its lost ones lapse', async () => {
    await bed.start();
    const owner = userClient(bed.proxy, 1001);
    const { rig, token } = await owner.registerRig('rig-1001');
    const wide = bed.track(startTestWorker({ url: bed.proxy.url, token, slots: 4, delayMs: 1000 }));
    await wide.rigId;
    await owner.setAsk(rig.id, 'test-echo', 1_000n);
    const lost = [2001, 2002, 2003, 2004].map((id, i) =>
      generate(userClient(bed.proxy, id), words(9, `l${i}w`)).then(
        () => 'done',
        (e) => String(e),
      ),
    );
    await until(
      'four jobs on the wide rig',
      async () => (wide.received.length === 4 ? true : undefined),
      400,
    );
    // Same token, now one slot: the old socket is replaced (its jobs stay the rig's until their leases lapse,
    // holding its slots meanwhile), and the new jobs wait for the one slot, not refused.
    const narrow = bed.track(startTestWorker({ url: bed.proxy.url, token, slots: 1, delayMs: 20 }));
    await narrow.rigId;
    const fresh = [3001, 3002, 3003].map((id, i) => generate(userClient(bed.proxy, id), words(2, `f${i}w`)));
    const done = await Promise.all(fresh);
    expect(done.map((r) => r.text)).toEqual(fresh.map((_, i) => words(2, `f${i}w`).toUpperCase()));
    // The lost jobs had no other candidate: each failed with its hold back (or finished, had the old socket
    // finished it first).
    for (const o of await Promise.all(lost)) if (o !== 'done') expect(o).toMatch(/no rig left to try/);
    // One slot: no two jobs overlapped on the narrow rig.
    const rows = await bed.db.query<{ started_at: Date; finished_at: Date }>(
      "SELECT started_at, finished_at FROM jobs WHERE state = 'done' AND id = ANY($1::uuid[]) ORDER BY started_at",
      [narrow.received],
    );
    expect(rows.rows.length).toBe(3);
    for (let i = 1; i < rows.rows.length; i++)
      expect(rows.rows[i].started_at.getTime()).toBeGreaterThanOrEqual(
        rows.rows[i - 1].finished_at.getTime(),
      );
    await moneyBalances();
  });
});
