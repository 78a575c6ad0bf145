// The queue (issue #28): with every candidate rig busy a job waits in the proxy's queue, first come first
// served, instead of being refused; a rig is given no more jobs than its slots; each client hears its place;
// a wait ends at its deadline, or when the user cancels, with the hold back at once; a user past their cap
// and a full queue are refused with a clear answer, not a timeout. Real proxy, real test workers over
// WebSockets. Outcomes and orders, not durations.
import { ApiError, type CocoonClient, chargeFor, type RunJobOptions } from '@cocoon/shared';
import { describe, expect, it } from 'vitest';
import { until } from '../testing/audit-scenes';
import { userClient } from '../testing/harness';
import { useTestBed } from '../testing/test-bed';

const bed = useTestBed({ HEARTBEAT_MS: '1000', LEASE_MS: '5000', FIRST_TOKEN_BASE_MS: '5000' });

const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');

function generate(c: CocoonClient, prompt: string, extra: Partial<RunJobOptions> = {}) {
  const maxTokens = prompt.split(' ').length;
  return c.runJob({ model: 'test-echo', body: { kind: 'generate', prompt, maxTokens }, ...extra });
}

async function states(): Promise<Record<string, number>> {
  const r = await bed.db.query<{ state: string; n: number }>(
    "SELECT state, count(*)::int AS n FROM jobs WHERE state <> 'quoted' GROUP BY state",
  );
  return Object.fromEntries(r.rows.map((row) => [row.state, row.n]));
}

/** Resolves once `n` jobs are in `state`. */
const jobsIn = (state: string, n: number) =>
  until(`${n} jobs ${state}`, async () => ((await states())[state] === n ? true : undefined), 400);

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => new Error('expected a refusal'),
    (e) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

const balance = async (c: CocoonClient) => BigInt((await c.me()).balanceNano);

/** A one-slot rig busy with a slow job (about 3 s); the job's promise, which succeeds. */
async function busyRig() {
  const rig = await bed.rig(1001, 1_000n, 'ok', { slots: 1, delayMs: 100 });
  const blocker = generate(userClient(bed.proxy, 2999), words(30, 'busy'));
  await jobsIn('running', 1);
  return { rig, blocker };
}

describe('a rig with one slot and five jobs at once', () => {
  it('runs all five, one at a time, in the order they came; each client heard its place in line', async () => {
    await bed.start();
    await bed.rig(1001, 1_000n, 'ok', { slots: 1, delayMs: 60 });
    const places: number[][] = [[], [], [], [], []];
    const runs: Array<Promise<{ text: string; jobId: string }>> = [];
    for (let i = 0; i < 5; i++) {
      const c = userClient(bed.proxy, 2001 + i);
      runs.push(generate(c, words(12, `j${i}w`), { onQueued: (p) => places[i].push(p.position) }));
      // Each submitted after the one before is in: the line's order is known.
      if (i === 0) await jobsIn('running', 1);
      else await jobsIn('queued', i);
    }
    const results = await Promise.all(runs);
    expect(results.map((r) => r.text)).toEqual(runs.map((_, i) => words(12, `j${i}w`).toUpperCase()));
    // The first ran at once; the k-th waited k-th in line and moved up one place at a time.
    expect(places[0]).toEqual([]);
    for (let i = 1; i < 5; i++) expect(places[i]).toEqual(Array.from({ length: i }, (_, k) => i - k));
    // One slot: each job started only after the one before it ended, and in the order they came.
    const rows = await bed.db.query<{ id: string; started_at: Date; finished_at: Date; attempt: number }>(
      "SELECT id, started_at, finished_at, attempt FROM jobs WHERE state = 'done' ORDER BY submitted_at",
    );
    expect(rows.rows.map((r) => r.id)).toEqual(results.map((r) => r.jobId));
    for (let i = 1; i < 5; i++)
      expect(rows.rows[i].started_at.getTime()).toBeGreaterThanOrEqual(
        rows.rows[i - 1].finished_at.getTime(),
      );
    expect(rows.rows.every((r) => r.attempt === 0)).toBe(true);
  });
});

describe('a waiting job', () => {
  it('holds its price while it waits, and cancelling it gives the hold back at once', async () => {
    await bed.start();
    const { blocker } = await busyRig();
    const user = userClient(bed.proxy, 2001);
    const before = await balance(user);
    const aborter = new AbortController();
    const run = generate(user, words(5, 'w'), { signal: aborter.signal, onQueued: () => aborter.abort() });
    await run.catch(() => undefined); // aborted by the test
    const job = await until('the cancelled job', async () => {
      const r = await bed.db.query<{ state: string; fail_reason: string }>(
        "SELECT state, fail_reason FROM jobs WHERE state = 'failed'",
      );
      return r.rows[0];
    });
    expect(job.fail_reason).toMatch(/cancelled by the user while waiting/);
    expect(await balance(user)).toBe(before);
    await blocker;
  });

  it('can be cancelled with the API; a job on a rig cannot', async () => {
    await bed.start();
    const { blocker } = await busyRig();
    const user = userClient(bed.proxy, 2001);
    const before = await balance(user);
    const run = rejection(generate(user, words(5, 'w')));
    await jobsIn('queued', 1);
    expect(await balance(user)).toBeLessThan(before); // the hold covers the waiting job
    const { rows } = await bed.db.query<{ id: string }>("SELECT id FROM jobs WHERE state = 'queued'");
    const view = await user.cancelJob(rows[0].id);
    expect(view).toMatchObject({ state: 'failed', failReason: expect.stringMatching(/cancelled/) });
    expect(await balance(user)).toBe(before);
    expect((await run).message).toMatch(/cancelled/);
    const running = await bed.db.query<{ id: string }>("SELECT id FROM jobs WHERE state = 'running'");
    const other = userClient(bed.proxy, 2999);
    expect(await rejection(other.cancelJob(running.rows[0].id))).toMatchObject({
      status: 409,
      code: 'job_running',
    });
    await blocker;
  });

  it('fails at its wait deadline with a reason that says so, and the hold goes back', async () => {
    await bed.start({ QUEUE_WAIT_MS: '1000' });
    const { blocker } = await busyRig();
    const user = userClient(bed.proxy, 2001);
    const before = await balance(user);
    const err = await rejection(generate(user, words(5, 'w')));
    expect(err.message).toMatch(/no candidate rig had a free slot within the job's wait deadline \(1 s/);
    expect(await balance(user)).toBe(before);
    await blocker;
  });

  it('asking not to wait (maxWaitMs 0) is refused at once while the rig is busy, nothing held', async () => {
    await bed.start();
    const { blocker } = await busyRig();
    const user = userClient(bed.proxy, 2001);
    const before = await balance(user);
    const err = await rejection(generate(user, words(5, 'w'), { maxWaitMs: 0 }));
    expect(err).toMatchObject({ status: 503, code: 'no_free_rig' });
    expect(await balance(user)).toBe(before);
    await blocker;
  });
});

describe('bad input', () => {
  it('a user flooding the queue meets their cap: 429, nothing held for the refused job', async () => {
    await bed.start({ MAX_QUEUED_PER_USER: '2' });
    const { blocker } = await busyRig();
    const user = userClient(bed.proxy, 2001);
    const waiting = [generate(user, words(3, 'a')), generate(user, words(3, 'b'))];
    await jobsIn('queued', 2);
    const before = await balance(user);
    const err = await rejection(generate(user, words(3, 'c')));
    expect(err).toMatchObject({ status: 429, code: 'queue_cap' });
    expect(err.message).toMatch(/you have 2 jobs waiting for a rig/);
    expect(await balance(user)).toBe(before);
    // Another user still gets in line.
    const other = generate(userClient(bed.proxy, 2002), words(3, 'd'));
    await jobsIn('queued', 3);
    await Promise.all([blocker, ...waiting, other]);
  });

  it('a full queue refuses new jobs with a clear 503, not a timeout', async () => {
    await bed.start({ MAX_QUEUE_PER_MODEL: '2' });
    const { blocker } = await busyRig();
    const waiting = [
      generate(userClient(bed.proxy, 2001), words(3, 'a')),
      generate(userClient(bed.proxy, 2002), words(3, 'b')),
    ];
    await jobsIn('queued', 2);
    // (A user with nothing waiting would still get their first job in: queue-attacks.test.ts.)
    const err = await rejection(generate(userClient(bed.proxy, 2001), words(3, 'c')));
    expect(err).toMatchObject({ status: 503, code: 'queue_full' });
    expect(err.message).toMatch(/the queue for test-echo is full: 2 jobs are waiting/);
    await Promise.all([blocker, ...waiting]);
  });
});

describe('a busy cheapest candidate', () => {
  it("is passed over for a free one, and stays the job's untried candidate (for a failover, and to audit it)", async () => {
    await bed.start();
    const { rig: busy, blocker } = await busyRig();
    const free = await bed.rig(1002, 2_000n, 'ok', { slots: 1 });
    const res = await generate(userClient(bed.proxy, 2001), words(4, 'w'));
    expect(res.rigId).toBe(free.id);
    const r = await bed.db.query<{ attempt: number; candidates: Array<{ rigId: string }> }>(
      'SELECT attempt, candidates FROM jobs WHERE id = $1',
      [res.jobId],
    );
    // Run as its first attempt, the busy rig after it: it never had the job.
    expect(r.rows[0].attempt).toBe(0);
    expect(r.rows[0].candidates.map((c) => c.rigId)).toEqual([free.id, busy.id]);
    // Charged at the ask of the rig that ran it.
    expect(res.costNano).toBe(chargeFor(8, 2_000n, 1000).totalNano);
    await blocker;
  });
});

describe('quotes', () => {
  it('keep a busy rig, with its expected wait', async () => {
    await bed.start();
    const { rig, blocker } = await busyRig();
    const q = await userClient(bed.proxy, 2001).quote({
      model: 'test-echo',
      kind: 'generate',
      inputTokens: 5,
      maxTokens: 5,
    });
    expect(q.candidates.map((c) => c.rigId)).toEqual([rig.id]);
    expect(q.candidates[0].expectedWaitMs).toBeGreaterThan(0);
    await blocker;
  });
});
