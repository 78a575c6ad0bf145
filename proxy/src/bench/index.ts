// Proxy benchmarks, each against a baseline measured in the same run on the same machine:
//   1. overhead per job on a no-op model, one job at a time and with 500 started at once: the full path
//      through the proxy (quote, seal, submit, dispatch, SSE, settle, open) against the same sealed job done
//      directly with the same worker code over one WebSocket (seal → assign → worker opens, seals chunks,
//      signs → client opens);
//   2. settled jobs per second on one PostgreSQL against pg-boss doing enqueue → fetch → complete on the
//      same server, and the PGlite figure.
// The proxy (`main.ts`) and the workers (`worker-fleet.ts`) run as their own processes, the clients in this
// one, as they would in production; the direct baseline uses the same worker process. Everything stays on
// 127.0.0.1 and every loop is bounded by a job count.
//   npx tsx proxy/src/bench/index.ts
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
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
import { DEV_BOT_TOKEN } from '../config';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  note?: string;
}

const RIGS = 8;
const SLOTS = 64;
const USERS = 50;
const CONCURRENT = 500;
const SEQUENTIAL = 200;
const THROUGHPUT_JOBS = Number(process.env.BENCH_PROXY_JOBS ?? 2000);
const THROUGHPUT_CONCURRENCY = 64;
const DEFAULT_PG = 'postgres://postgres@127.0.0.1:54329/postgres';

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

function percentile(xs: number[], p: number): number {
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

/** A child process running `file` under tsx; resolves once a stdout line matches `ready`. */
async function startProcess(
  file: string,
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ match: RegExpMatchArray; stop(): Promise<void> }> {
  const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, file)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    void exited.then(() => reject(new Error(`${file} exited before it was ready`)));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const m = line.match(ready);
      if (m) resolve(m);
    });
  });
  return {
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

interface Market {
  users: CocoonClient[];
  close(): Promise<void>;
}

/** A proxy process on the given database, RIGS no-op rigs in a worker process, USERS clients here. */
async function market(db: { DATABASE_URL: string } | { DATA_DIR: string }): Promise<Market> {
  const proxy = await startProcess(
    '../main.ts',
    {
      ...db,
      PORT: '0',
      LOG_LEVEL: 'silent',
      COCOON_LOCAL: 'true',
      LEASE_MS: '60000',
      QUOTE_TTL_MS: '120000',
      TRIAL_CREDIT_NANO: '100000000000',
      STATIC_DIR: '/nonexistent',
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
      users,
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
async function directWorkers(): Promise<{ run: RunOne; close(): Promise<void> }> {
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

/** Settled jobs per second through the proxy: THROUGHPUT_JOBS jobs, THROUGHPUT_CONCURRENCY in flight. */
async function settledPerSecond(db: DbEnv): Promise<number> {
  const m = await market(db);
  try {
    const run = throughProxy(m);
    await latencies(run, 50, 0, true);
    const t = performance.now();
    await pool(THROUGHPUT_JOBS, THROUGHPUT_CONCURRENCY, run); // each resolves on its settled, opened result
    return THROUGHPUT_JOBS / ((performance.now() - t) / 1000);
  } finally {
    await m.close();
  }
}

/** pg-boss on the same server: each job is send → fetch → complete, with the same concurrency. */
async function pgBossPerSecond(url: string): Promise<number> {
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
    await pool(THROUGHPUT_JOBS, THROUGHPUT_CONCURRENCY, async (i) => {
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
    });
    const rate = THROUGHPUT_JOBS / ((performance.now() - t) / 1000);
    if (completed !== THROUGHPUT_JOBS) throw new Error(`pg-boss completed ${completed}`);
    return rate;
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
      const proxyRate = await settledPerSecond({ DATABASE_URL: scratch.url });
      const bossRate = await pgBossPerSecond(scratch.url);
      rows.push({
        name: 'settled jobs/s, one PostgreSQL',
        value: round(proxyRate),
        unit: 'jobs/s',
        baseline: round(bossRate),
        ratio: round(proxyRate / bossRate, 2),
        note:
          `${THROUGHPUT_JOBS} jobs, ${THROUGHPUT_CONCURRENCY} in flight, each the whole path (quote with a ledger hold, sealed ` +
          'submit, dispatch, 8 streamed chunks over SSE, receipt check, settlement in one ledger transaction); the ' +
          `proxy, ${RIGS} no-op workers and the clients in three processes. Baseline: pg-boss 10 on the same server doing ` +
          `send → fetch → complete per job with the same ${THROUGHPUT_CONCURRENCY} in flight (target ratio ≥ 2).`,
      });
    } finally {
      await scratch.drop();
    }
  }

  const dir2 = liteDir();
  try {
    const rate = await settledPerSecond({ DATA_DIR: dir2 });
    rows.push({
      name: 'settled jobs/s, PGlite',
      value: round(rate),
      unit: 'jobs/s',
      note: `${THROUGHPUT_JOBS} jobs, ${THROUGHPUT_CONCURRENCY} in flight; PGlite runs inside the proxy process (one connection, WebAssembly), so SQL and the proxy share one core; pg-boss needs a PostgreSQL server and has no PGlite figure`,
    });
  } finally {
    rmSync(dir2, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const rows = await benchProxy();
  console.table(rows.map(({ note, ...r }) => r));
  for (const r of rows) if (r.note) console.log(`- ${r.name}: ${r.note}`);
  process.exit(0);
}
