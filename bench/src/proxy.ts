// Proxy benchmarks, each against a baseline measured in the same run on the same machine:
//   1. overhead per job on a no-op model, one job at a time and with 500 started at once: the full path
//      through the proxy (quote, seal, submit, dispatch, SSE, settle, open) against the same sealed job done
//      directly with the same worker code over one WebSocket (seal → assign → worker opens, seals chunks,
//      signs → client opens);
//   2. settled jobs per second on one PostgreSQL against pg-boss doing enqueue → fetch → complete on the
//      same server, and the PGlite figure.
// The proxy (its `main.ts`, what `npm run proxy` runs) and the workers (`worker-fleet.ts`) run as their
// own processes, the clients in this one, as they would in production; the direct baseline uses the same worker process. Everything stays on
// 127.0.0.1 and every loop is bounded by a job count.
//   npx tsx bench/src/proxy.ts
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DEV_BOT_TOKEN } from '@cocoon/proxy';
import {
  type CocoonClient,
  createCocoonClient,
  finalResult,
  fromBase64,
  type JobBody,
  openResultPart,
  resultChunk,
  sealJob,
  signInitData,
  type WorkerToProxy,
} from '@cocoon/shared';
import pg from 'pg';
import { WebSocketServer } from 'ws';
import { type BenchResult, printBenchResults } from './result';

const RIGS = 8;
const SLOTS = 64;
const USERS = 50;
const CONCURRENT = 500;
const SEQUENTIAL = 200;
const THROUGHPUT_JOBS = Number(process.env.BENCH_PROXY_JOBS ?? 2000);
const THROUGHPUT_CONCURRENCY = 64;
const DEFAULT_PG = 'postgres://postgres@127.0.0.1:54329/postgres';

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

function body(i: number): JobBody {
  return { kind: 'generate', prompt: `job ${i} one two three four five six`, maxTokens: 16 };
}

/** Runs `total` tasks with at most `concurrency` in flight. */
async function pool(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) await task(next++);
    }),
  );
}

/** The proxy's entry point (`npm run proxy`), next to the @cocoon/proxy entry. */
const PROXY_MAIN = join(dirname(fileURLToPath(import.meta.resolve('@cocoon/proxy'))), 'main.ts');

/** A child process running `file` under tsx; resolves once a stdout line matches `ready`. */
async function startProcess(
  file: string,
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ pid: number; match: RegExpMatchArray; stop(): Promise<void> }> {
  const nodeArgs = process.env.BENCH_CHILD_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const proc: ChildProcess = spawn(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', resolvePath(import.meta.dirname, file)],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    void exited.then(() => reject(new Error(`${file} exited before it was ready`)));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const m = line.match(ready);
      if (m) resolve(m);
    });
  });
  return {
    pid: proc.pid!,
    match,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** Workers in their own process, connected to `url` with these rig tokens. */
function startFleet(url: string, tokens: string[]) {
  return startProcess('worker-fleet.ts', { FLEET: JSON.stringify({ url, tokens, slots: SLOTS }) }, /^ready$/);
}

const userAt = (url: string, telegramId: number) =>
  createCocoonClient({
    baseUrl: url,
    auth: {
      kind: 'tma',
      initData: signInitData({ user: { id: telegramId, first_name: `U${telegramId}` } }, DEV_BOT_TOKEN),
    },
  });

export interface Market {
  url: string;
  users: CocoonClient[];
  pids: { proxy: number; workers: number };
  close(): Promise<void>;
}

/** A proxy process on the given database, RIGS no-op rigs in a worker process, USERS clients here. */
export async function market(
  db: { DATABASE_URL: string } | { DATA_DIR: string },
  env: Record<string, string> = {},
): Promise<Market> {
  const proxy = await startProcess(
    PROXY_MAIN,
    {
      ...db,
      PORT: '0',
      LOG_LEVEL: 'silent',
      COCOON_LOCAL: 'true',
      LEASE_MS: '60000',
      QUOTE_TTL_MS: '120000',
      TRIAL_CREDIT_NANO: '100000000000',
      // The proxy's own overhead is measured: no audits (its rigs are no-op rigs) and no bonds.
      AUDIT_RATE: '0',
      AUDIT_PROBATION_JOBS: '0',
      BOND_NANO: '0',
      STATIC_DIR: '/nonexistent',
      ...env,
    },
    /listening on (http:\/\/\S+)/,
  );
  const url = proxy.match[1];
  let fleet: Awaited<ReturnType<typeof startFleet>> | undefined;
  try {
    const rigs = await Promise.all(
      Array.from({ length: RIGS }, (_, i) => userAt(url, 9000 + i).registerRig(`bench-${i}`)),
    );
    fleet = await startFleet(
      url,
      rigs.map((r) => r.token),
    );
    await Promise.all(rigs.map((r, i) => userAt(url, 9000 + i).setAsk(r.rig.id, 'test-echo', 1_000_000n)));
    const users = Array.from({ length: USERS }, (_, i) => userAt(url, 10_000 + i));
    await Promise.all(users.map((u) => u.me())); // create the users (and their trial credit) up front
    return {
      url,
      users,
      pids: { proxy: proxy.pid, workers: fleet.pid },
      close: async () => {
        await fleet?.stop();
        await proxy.stop();
      },
    };
  } catch (err) {
    await fleet?.stop();
    await proxy.stop();
    throw err;
  }
}

/** Runs job `i` and resolves when its result is open and checked. */
type RunOne = (i: number) => Promise<void>;

/** Latencies of `n` jobs: one after another, or all started at once. */
async function latencies(run: RunOne, n: number, offset: number, atOnce: boolean): Promise<number[]> {
  const one = async (i: number) => {
    const t = performance.now();
    await run(offset + i);
    return performance.now() - t;
  };
  if (atOnce) return Promise.all(Array.from({ length: n }, (_, i) => one(i)));
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await one(i));
  return out;
}

const throughProxy =
  (m: Market): RunOne =>
  async (i) => {
    const res = await m.users[i % USERS].runJob({ model: 'test-echo', body: body(i) });
    if (!res.text.startsWith('JOB')) throw new Error('unexpected result');
  };

/**
 * The direct baseline: the same worker process connected to a bare WebSocket server that plays the
 * proxy's part of the protocol and nothing else. A job is sealed for the rig, sent as an assign frame, and
 * the client opens every chunk and the final result: the same crypto and frames a job costs end to end,
 * with no HTTP, no database, no market and no SSE.
 */
async function directWorkers(): Promise<{ run: RunOne; pid: number; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const url = `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  const pending = new Map<string, (m: WorkerToProxy) => void>();
  const rigs: Array<{ rigId: string; key: Uint8Array; send: (m: unknown) => void }> = [];
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as WorkerToProxy;
      if (msg.type === 'hello') {
        const rigId = randomUUID();
        rigs.push({ rigId, key: fromBase64(msg.x25519PublicKey), send: (m) => ws.send(JSON.stringify(m)) });
        ws.send(JSON.stringify({ type: 'welcome', rigId, heartbeatMs: 60_000, leaseMs: 60_000 }));
        return;
      }
      if (msg.type === 'chunk' || msg.type === 'done') pending.get(msg.jobId)?.(msg);
    });
  });
  const fleet = await startFleet(url, Array(RIGS).fill('direct'));
  const run: RunOne = (i) =>
    new Promise<void>((resolve, reject) => {
      const rig = rigs[i % RIGS];
      const jobId = randomUUID();
      const b = body(i);
      const { envelope, state } = sealJob(b, [{ rigId: rig.rigId, x25519PublicKey: rig.key }], jobId);
      let nextSeq = 0;
      pending.set(jobId, (m) => {
        try {
          if (m.type === 'chunk' && m.seq === nextSeq) {
            resultChunk.parse(openResultPart(state, rig.rigId, m.seq, m.sealed));
            nextSeq++;
          } else if (m.type === 'done') {
            const r = finalResult.parse(openResultPart(state, rig.rigId, 'final', m.result));
            if (!r.text.startsWith('JOB')) throw new Error('unexpected result');
            pending.delete(jobId);
            resolve();
          }
        } catch (err) {
          reject(err);
        }
      });
      rig.send({
        type: 'assign',
        jobId,
        model: 'test-echo',
        kind: b.kind,
        envelope,
        aad: jobId,
        inputTokens: 64,
        maxTokens: b.maxTokens,
        leaseMs: 60_000,
      });
    });
  return {
    run,
    pid: fleet.pid,
    close: async () => {
      await fleet.stop();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}

type DbEnv = { DATABASE_URL: string } | { DATA_DIR: string };

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

/** CPU seconds (user + system) a process has used: this one from Node, others from /proc (0 where there is none). */
function cpuSeconds(pid: number): number {
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
function postgresPids(): number[] {
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

type CpuShare = Record<string, number>;

/** Measures the CPU each named process group spends while `work` runs, in ms per job. */
async function cpuPerJob(
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

function describeCpu(cpu: CpuShare): string {
  const total = Object.values(cpu).reduce((a, b) => a + b, 0);
  const parts = Object.entries(cpu).map(([k, v]) => `${k} ${v}`);
  return (
    `CPU per job (ms): ${parts.join(', ')}; total ${round(total, 2)} ms, so ${availableParallelism()} cores ` +
    `can settle at most ~${Math.round((availableParallelism() * 1000) / total)} jobs/s this way`
  );
}

/** Settled jobs per second through the proxy: THROUGHPUT_JOBS jobs, THROUGHPUT_CONCURRENCY in flight. */
async function settledPerSecond(db: DbEnv): Promise<{ rate: number; cpu: CpuShare }> {
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
async function directPerSecond(): Promise<{ rate: number; cpu: CpuShare }> {
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
async function pgBossPerSecond(url: string): Promise<{ rate: number; cpu: CpuShare }> {
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
async function scratchDatabase(url: string): Promise<{ url: string; drop(): Promise<void> } | null> {
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

async function onlyThroughputPg(): Promise<number> {
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
