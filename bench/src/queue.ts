// The queue (issue #28): one real rig (the worker's onnxruntime engine on CPU, demo-gen, 4 slots: batch
// capacity 4) and 32 generate jobs arriving at once, each from its own user. Every job must succeed: the
// ones the rig has no slot for wait in the proxy's queue. Reports each job's time in the queue (submit to
// claim, from the proxy's own rows) at p50/p95 and the total time, against the same 32 jobs run one after
// another on the same rig (the baseline, measured in the same run).
//   npx tsx -e "import('@cocoon/bench').then(b => b.benchQueue()).then(console.table)"
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openTestDb, startTestProxy, userClient } from '@cocoon/proxy/testing';
import type { CocoonClient } from '@cocoon/shared';
import { createLogger } from '@cocoon/shared/node';
import { DEMO_MODEL_ID, loadModels, startWorker } from '@cocoon/worker';
import type { BenchResult } from './result';

const JOBS = 32;
const SLOTS = 4;
const MAX_TOKENS = 64;

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

const prompt = (i: number) => `Job ${i}: once upon a time there was a rig that`;

export async function benchQueue(): Promise<BenchResult[]> {
  const silent = createLogger('silent');
  const configRoot = mkdtempSync(path.join(tmpdir(), 'cocoon-bench-queue-'));
  const [db, models] = await Promise.all([openTestDb(), loadModels({ device: 'cpu', logger: silent })]);
  // Waits and runs bounded generously: the figure is how long jobs wait, not whether a deadline cut them.
  const proxy = await startTestProxy(db, {
    HEARTBEAT_MS: '1000',
    QUEUE_WAIT_MS: '600000',
    JOB_TIMEOUT_MS: '600000',
  });
  const owner = userClient(proxy, 1001);
  const { rig, token } = await owner.registerRig('bench-rig');
  const worker = startWorker({
    proxyUrl: proxy.url,
    token,
    models,
    configDir: path.join(configRoot, 'rig'),
    logger: silent,
    slots: SLOTS,
  });
  try {
    await worker.rigId;
    await owner.setAsk(rig.id, DEMO_MODEL_ID, 1_000n);
    const run = (c: CocoonClient, i: number) =>
      c.runJob({
        model: DEMO_MODEL_ID,
        body: { kind: 'generate', prompt: prompt(i), maxTokens: MAX_TOKENS, seed: i },
      });
    // Warm-up: the first run pays for the session's first allocations.
    await run(userClient(proxy, 1999), 0);

    // Baseline: the same jobs one after another (a job always finds a free slot).
    const t0 = performance.now();
    for (let i = 0; i < JOBS; i++) await run(userClient(proxy, 2000 + i), i);
    const sequentialMs = performance.now() - t0;

    // All at once: each from its own user (a user may have MAX_QUEUED_PER_USER jobs waiting).
    const since = new Date();
    const t1 = performance.now();
    const outcomes = await Promise.allSettled(
      Array.from({ length: JOBS }, (_, i) => run(userClient(proxy, 3000 + i), i)),
    );
    const concurrentMs = performance.now() - t1;
    const failed = outcomes.filter((o) => o.status === 'rejected');
    if (failed.length)
      throw new Error(
        `${failed.length} of ${JOBS} jobs failed; the first: ${(failed[0] as PromiseRejectedResult).reason}`,
      );
    const waits = await db.query<{ ms: number; tokens: number }>(
      `SELECT extract(epoch FROM started_at - submitted_at) * 1000 AS ms, completion_tokens AS tokens FROM jobs
       WHERE state = 'done' AND submitted_at >= $1`,
      [since],
    );
    const tokens = waits.rows.reduce((n, r) => n + Number(r.tokens), 0);
    const queueMs = waits.rows.map((r) => Number(r.ms));
    const waited = queueMs.filter((ms) => ms > 50).length;
    const round = (x: number) => Math.round(x);
    return [
      {
        name: `${JOBS} jobs at once on one rig of ${SLOTS} slots: succeeded`,
        value: JOBS - failed.length,
        unit: 'jobs',
        note: `${waited} of them waited in the queue; at most ${MAX_TOKENS} tokens each, ${tokens} in all (demo-gen, CPU)`,
      },
      { name: 'time in queue p50', value: round(percentile(queueMs, 50)), unit: 'ms' },
      { name: 'time in queue p95', value: round(percentile(queueMs, 95)), unit: 'ms' },
      {
        name: `total: ${JOBS} jobs at once vs one after another`,
        value: round(concurrentMs),
        unit: 'ms',
        baseline: round(sequentialMs),
        ratio: Math.round((concurrentMs / sequentialMs) * 100) / 100,
        note: 'the baseline runs the same jobs on the same rig one after another (no wait in the queue)',
      },
    ];
  } finally {
    await worker.stop({ graceful: false });
    await proxy.close();
    for (const m of models.values()) await m.dispose();
    await db.close();
    rmSync(configRoot, { recursive: true, force: true });
  }
}
