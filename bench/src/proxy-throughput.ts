// Settled jobs per second through the proxy (PGlite, one PostgreSQL), directly, and pg-boss's baseline, with
// the CPU each process spent per job (bench/src/proxy.ts).
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import pg from 'pg';
import {
  body,
  type DbEnv,
  DEFAULT_PG,
  directWorkers,
  latencies,
  market,
  pool,
  round,
  THROUGHPUT_CONCURRENCY,
  THROUGHPUT_JOBS,
  throughProxy,
} from './proxy-fleet';

/** CPU seconds (user + system) a process has used: this one from Node, others from /proc (0 where there is none). */
export function cpuSeconds(pid: number): number {
  if (pid === process.pid) {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  }
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ (100 on Linux)
  } catch {
    return 0;
  }
}

/** Every PostgreSQL server process on this machine (the bench's server is the only one in CI). */
export function postgresPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres';
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

export type CpuShare = Record<string, number>;

/** Measures the CPU each named process group spends while `work` runs, in ms per job. */
export async function cpuPerJob(
  groups: Record<string, () => number[]>,
  jobs: number,
  work: () => Promise<void>,
): Promise<CpuShare> {
  const sample = () =>
    Object.fromEntries(
      Object.entries(groups).map(([name, pids]) => [
        name,
        pids().reduce((sum, pid) => sum + cpuSeconds(pid), 0),
      ]),
    );
  const before = sample();
  await work();
  const after = sample();
  return Object.fromEntries(
    Object.keys(groups).map((k) => [k, round(((after[k] - before[k]) * 1000) / jobs, 2)]),
  );
}

export function describeCpu(cpu: CpuShare): string {
  const total = Object.values(cpu).reduce((a, b) => a + b, 0);
  const parts = Object.entries(cpu).map(([k, v]) => `${k} ${v}`);
  return (
    `CPU per job (ms): ${parts.join(', ')}; total ${round(total, 2)} ms, so ${availableParallelism()} cores ` +
    `can settle at most ~${Math.round((availableParallelism() * 1000) / total)} jobs/s this way`
  );
}

/** Settled jobs per second through the proxy: THROUGHPUT_JOBS jobs, THROUGHPUT_CONCURRENCY in flight. */
export async function settledPerSecond(db: DbEnv): Promise<{ rate: number; cpu: CpuShare }> {
  const m = await market(db);
  try {
    const run = throughProxy(m);
    await latencies(run, 50, 0, true);
    const t = performance.now();
    const cpu = await cpuPerJob(
      {
        proxy: () => [m.pids.proxy],
        postgres: postgresPids,
        workers: () => [m.pids.workers],
        clients: () => [process.pid],
      },
      THROUGHPUT_JOBS,
      // Each job resolves on its settled, opened result.
      () => pool(THROUGHPUT_JOBS, THROUGHPUT_CONCURRENCY, run),
    );
    return { rate: THROUGHPUT_JOBS / ((performance.now() - t) / 1000), cpu };
  } finally {
    await m.close();
  }
}

/** The same jobs at the same concurrency straight to the workers: what any proxy's figure is bounded by. */
export async function directPerSecond(): Promise<{ rate: number; cpu: CpuShare }> {
  const d = await directWorkers();
  try {
    await latencies(d.run, 50, 0, true);
    const t = performance.now();
    const cpu = await cpuPerJob(
      { workers: () => [d.pid], clients: () => [process.pid] },
      THROUGHPUT_JOBS,
      () => pool(THROUGHPUT_JOBS, THROUGHPUT_CONCURRENCY, d.run),
    );
    return { rate: THROUGHPUT_JOBS / ((performance.now() - t) / 1000), cpu };
  } finally {
    await d.close();
  }
}

/** pg-boss on the same server: each job is send → fetch → complete, with the same concurrency. */
export async function pgBossPerSecond(url: string): Promise<{ rate: number; cpu: CpuShare }> {
  const { default: PgBoss } = await import('pg-boss');
  const boss = new PgBoss({ connectionString: url, max: 10, schedule: false, supervise: false });
  boss.on('error', () => {});
  await boss.start();
  try {
    await boss.createQueue('bench');
    for (let i = 0; i < 50; i++) await boss.send('bench', { i });
    for (const j of await boss.fetch('bench', { batchSize: 50 })) await boss.complete('bench', j.id);
    const t = performance.now();
    let completed = 0;
    const cpu = await cpuPerJob(
      { postgres: postgresPids, 'pg-boss': () => [process.pid] },
      THROUGHPUT_JOBS,
      () =>
        pool(THROUGHPUT_JOBS, THROUGHPUT_CONCURRENCY, async (i) => {
          await boss.send('bench', { i, body: body(i) });
          for (let tries = 0; tries < 100; tries++) {
            const [job] = await boss.fetch('bench', { batchSize: 1 });
            if (job) {
              await boss.complete('bench', job.id);
              completed++;
              return;
            }
          }
          throw new Error('pg-boss: no job to fetch after 100 tries');
        }),
    );
    const rate = THROUGHPUT_JOBS / ((performance.now() - t) / 1000);
    if (completed !== THROUGHPUT_JOBS) throw new Error(`pg-boss completed ${completed}`);
    return { rate, cpu };
  } finally {
    await boss.stop({ graceful: false, wait: true }).catch(() => {});
  }
}

/** Creates a scratch database on the server at `url`; null when no server answers. */
export async function scratchDatabase(url: string): Promise<{ url: string; drop(): Promise<void> } | null> {
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch {
    return null;
  }
  const name = `cocoon_bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function onlyThroughputPg(): Promise<number> {
  const scratch = await scratchDatabase(process.env.BENCH_DATABASE_URL || DEFAULT_PG);
  if (!scratch) throw new Error('no PostgreSQL');
  try {
    const { rate, cpu } = await settledPerSecond({ DATABASE_URL: scratch.url });
    console.log(describeCpu(cpu));
    return rate;
  } finally {
    await scratch.drop();
  }
}
