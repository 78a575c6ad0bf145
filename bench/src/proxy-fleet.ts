// The proxy benchmarks' fleet: a market (the proxy and its workers in their own processes, users with
// balances), the same workers reached directly, and the timing helpers (bench/src/proxy.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
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
import { WebSocketServer } from 'ws';

export type DbEnv = { DATABASE_URL: string } | { DATA_DIR: string };

export const RIGS = 8;
export const SLOTS = 64;
export const USERS = 50;
export const CONCURRENT = 500;
export const SEQUENTIAL = 200;
export const THROUGHPUT_JOBS = Number(process.env.BENCH_PROXY_JOBS ?? 2000);
export const THROUGHPUT_CONCURRENCY = 64;
export const DEFAULT_PG = 'postgres://postgres@127.0.0.1:54329/postgres';

export const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export function body(i: number): JobBody {
  return { kind: 'generate', prompt: `job ${i} one two three four five six`, maxTokens: 16 };
}

/** Runs `total` tasks with at most `concurrency` in flight. */
export async function pool(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) await task(next++);
    }),
  );
}

/** The proxy's entry point (`npm run proxy`), next to the @cocoon/proxy entry. */
export const PROXY_MAIN = join(dirname(fileURLToPath(import.meta.resolve('@cocoon/proxy'))), 'main.ts');

/** A child process running `file` under tsx; resolves once a stdout line matches `ready`. */
export async function startProcess(
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
export function startFleet(url: string, tokens: string[]) {
  return startProcess('worker-fleet.ts', { FLEET: JSON.stringify({ url, tokens, slots: SLOTS }) }, /^ready$/);
}

export const userAt = (url: string, telegramId: number) =>
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
export type RunOne = (i: number) => Promise<void>;

/** Latencies of `n` jobs: one after another, or all started at once. */
export async function latencies(run: RunOne, n: number, offset: number, atOnce: boolean): Promise<number[]> {
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

export const throughProxy =
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
export async function directWorkers(): Promise<{ run: RunOne; pid: number; close(): Promise<void> }> {
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
