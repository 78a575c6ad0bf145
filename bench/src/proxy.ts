import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CONCURRENT,
  type DbEnv,
  DEFAULT_PG,
  directWorkers,
  latencies,
  market,
  percentile,
  RIGS,
  type RunOne,
  round,
  SEQUENTIAL,
  SLOTS,
  THROUGHPUT_CONCURRENCY,
  THROUGHPUT_JOBS,
  throughProxy,
} from './proxy-fleet';
import {
  describeCpu,
  directPerSecond,
  onlyThroughputPg,
  pgBossPerSecond,
  scratchDatabase,
  settledPerSecond,
} from './proxy-throughput';
import { type BenchResult, printBenchResults } from './result';

async function overhead(db: DbEnv, label: string): Promise<BenchResult[]> {
  const measure = async (run: RunOne) => {
    await latencies(run, 50, 0, true); // warm-up
    const sequential = await latencies(run, SEQUENTIAL, 1000, false);
    const concurrent = await latencies(run, CONCURRENT, 2000, true);
    return { sequential, concurrent };
  };
  const m = await market(db);
  const viaProxy = await measure(throughProxy(m)).finally(() => m.close());
  const d = await directWorkers();
  const direct = await measure(d.run).finally(() => d.close());
  const rows: BenchResult[] = [];
  for (const mode of ['sequential', 'concurrent'] as const) {
    const what = mode === 'sequential' ? 'one job at a time' : `${CONCURRENT} concurrent`;
    for (const p of [50, 99]) {
      const [proxyMs, directMs] = [percentile(viaProxy[mode], p), percentile(direct[mode], p)];
      rows.push({
        name: `overhead per job p${p}, ${what} (${label})`,
        value: round(proxyMs - directMs, 2),
        unit: 'ms',
        baseline: round(directMs, 2),
        ratio: round(proxyMs / directMs, 2),
        note:
          p === 50 && mode === 'sequential'
            ? `${SEQUENTIAL} jobs one after another, then ${CONCURRENT} started at once; ${RIGS} no-op test workers × ${SLOTS} ` +
              'slots in their own process, the proxy in another, the clients in this one. Through the proxy: quote + ' +
              'seal + submit + SSE to the opened result. Baseline: the same sealed job on the same worker process over ' +
              'one direct WebSocket (seal → assign → worker opens, seals the chunks and the result, signs the receipt → ' +
              'client opens), no HTTP/DB/market/SSE. value = proxy percentile − direct percentile; baseline = the ' +
              'direct percentile.'
            : undefined,
      });
    }
  }
  return rows;
}

export async function benchProxy(): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  const pgUrl = process.env.BENCH_DATABASE_URL || DEFAULT_PG;
  const liteDir = () => mkdtempSync(join(tmpdir(), 'cocoon-bench-'));

  const dir = liteDir();
  try {
    rows.push(...(await overhead({ DATA_DIR: dir }, 'PGlite')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const scratch = await scratchDatabase(pgUrl);
  if (!scratch) {
    rows.push({
      name: 'settled jobs/s on PostgreSQL vs pg-boss',
      value: 0,
      unit: 'jobs/s',
      note: `skipped: no PostgreSQL at ${pgUrl.replace(/\/\/[^@]*@/, '//')} (set BENCH_DATABASE_URL)`,
    });
  } else {
    try {
      rows.push(...(await overhead({ DATABASE_URL: scratch.url }, 'PostgreSQL')));
      const proxy = await settledPerSecond({ DATABASE_URL: scratch.url });
      const boss = await pgBossPerSecond(scratch.url);
      const direct = await directPerSecond();
      rows.push({
        name: 'settled jobs/s, one PostgreSQL',
        value: round(proxy.rate),
        unit: 'jobs/s',
        baseline: round(boss.rate),
        ratio: round(proxy.rate / boss.rate, 2),
        note:
          `${THROUGHPUT_JOBS} jobs, ${THROUGHPUT_CONCURRENCY} in flight, each the whole path (quote with a ledger hold, sealed ` +
          'submit, dispatch, 8 streamed chunks over SSE, receipt check, settlement in one ledger transaction); the ' +
          `proxy, ${RIGS} no-op workers and the clients in three processes. ${describeCpu(proxy.cpu)}. ` +
          `Baseline: pg-boss 10 on the same server doing send → fetch → complete per job with the same ` +
          `${THROUGHPUT_CONCURRENCY} in flight (target ratio ≥ 2); ${describeCpu(boss.cpu)}.`,
      });
      rows.push({
        name: 'jobs/s straight to the workers, no proxy',
        value: round(direct.rate),
        unit: 'jobs/s',
        baseline: round(boss.rate),
        ratio: round(direct.rate / boss.rate, 2),
        note:
          `The same ${THROUGHPUT_JOBS} sealed jobs at the same concurrency over the direct WebSocket: the ceiling for ` +
          `any proxy on this machine, since a job through the proxy does all of this work too. ${describeCpu(direct.cpu)}.`,
      });
    } finally {
      await scratch.drop();
    }
  }

  const dir2 = liteDir();
  try {
    const { rate, cpu } = await settledPerSecond({ DATA_DIR: dir2 });
    delete cpu.postgres; // PGlite runs inside the proxy process
    rows.push({
      name: 'settled jobs/s, PGlite',
      value: round(rate),
      unit: 'jobs/s',
      note: `${THROUGHPUT_JOBS} jobs, ${THROUGHPUT_CONCURRENCY} in flight; PGlite runs inside the proxy process (one connection, WebAssembly), so SQL and the proxy share one core; pg-boss needs a PostgreSQL server and has no PGlite figure. ${describeCpu(cpu)}.`,
    });
  } finally {
    rmSync(dir2, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  // BENCH_ONLY=throughput-pg: just the PostgreSQL jobs/s figure (to profile the proxy with
  // BENCH_CHILD_NODE_ARGS=--cpu-prof).
  const rows =
    process.env.BENCH_ONLY === 'throughput-pg'
      ? [{ name: 'settled jobs/s, one PostgreSQL', value: round(await onlyThroughputPg()), unit: 'jobs/s' }]
      : await benchProxy();
  printBenchResults(rows);
  process.exit(0);
}
