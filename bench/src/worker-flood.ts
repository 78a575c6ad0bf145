// Bad worker upgrades against a running proxy (issue 26, item 6): 5,000 WebSocket upgrades to /v1/worker
// with random rig tokens, all from 127.0.0.1, by a client that never answers a close frame (it lets go of a
// socket only when the proxy closes it, or after PATIENCE_MS). Measured while it runs: honest jobs' p50
// against their p50 just before, and the proxy's open file descriptors (/proc/<pid>/fd) before, at their
// peak and after. The proxy runs as its own process (what `npm run proxy` runs), as in the proxy suite.
// Bounded: a fixed number of upgrades, a fixed number in flight, each with its own deadline.
//   npx tsx bench/src/worker-flood.ts
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { market, percentile } from './proxy-fleet';
import { type BenchResult, printBenchResults } from './result';

const BAD_UPGRADES = Number(process.env.BENCH_BAD_UPGRADES ?? 5000);
const IN_FLIGHT = 250;
const PATIENCE_MS = 5_000;
const HONEST_BEFORE = 100;

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

type Outcome = 'refused' | 'upgraded' | 'held' | 'other';

/** One upgrade with a random token; resolves when the proxy closed the connection (or at PATIENCE_MS). */
function badUpgrade(host: string, port: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const sock = net.connect(port, host);
    let head = '';
    let settled = false;
    const done = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => done('held'), PATIENCE_MS);
    sock.on('error', () => done('other'));
    sock.on('data', (d) => {
      if (head.length < 64) head += d.toString('latin1');
    });
    sock.on('close', () =>
      done(/^HTTP\/1\.1 101/.test(head) ? 'upgraded' : /^HTTP\/1\.1 429/.test(head) ? 'refused' : 'other'),
    );
    sock.on('connect', () =>
      sock.write(
        `GET /v1/worker HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
          `Authorization: Bearer ${randomBytes(24).toString('hex')}\r\n\r\n`,
      ),
    );
  });
}

async function flood(host: string, port: number): Promise<Record<Outcome, number>> {
  const counts: Record<Outcome, number> = { refused: 0, upgraded: 0, held: 0, other: 0 };
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < BAD_UPGRADES) {
        next++;
        counts[await badUpgrade(host, port)]++;
      }
    }),
  );
  return counts;
}

export async function benchWorkerFlood(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cocoon-bench-flood-'));
  const m = await market({ DATA_DIR: dir });
  try {
    const { hostname, port } = new URL(m.url);
    const job = async (i: number) => {
      const t = performance.now();
      const res = await m.users[i % m.users.length].runJob({
        model: 'test-echo',
        body: { kind: 'generate', prompt: `job ${i} one two three`, maxTokens: 16 },
      });
      if (!res.text.startsWith('JOB')) throw new Error('unexpected result');
      return performance.now() - t;
    };
    for (let i = 0; i < 20; i++) await job(i); // warm-up
    const before: number[] = [];
    for (let i = 0; i < HONEST_BEFORE; i++) before.push(await job(100 + i));
    const fdsBefore = openFds(m.pids.proxy);

    let fdsPeak = fdsBefore;
    const sampler = setInterval(() => {
      fdsPeak = Math.max(fdsPeak, openFds(m.pids.proxy));
    }, 50);
    let flooding = true;
    const started = performance.now();
    const attack = flood(hostname, Number(port)).finally(() => {
      flooding = false;
    });
    const during: number[] = [];
    // Honest jobs one after another for as long as the flood runs (at least 20).
    for (let i = 0; (flooding || during.length < 20) && i < 10_000; i++) during.push(await job(1000 + i));
    const outcomes = await attack;
    const floodS = (performance.now() - started) / 1000;
    clearInterval(sampler);
    await new Promise((r) => setTimeout(r, 1000));
    const fdsAfter = openFds(m.pids.proxy);

    const [p50Before, p50During] = [percentile(before, 50), percentile(during, 50)];
    return [
      {
        name: `honest job p50 during ${BAD_UPGRADES} bad worker upgrades`,
        value: round(p50During, 2),
        unit: 'ms',
        baseline: round(p50Before, 2),
        ratio: round(p50During / p50Before, 2),
        note:
          `${BAD_UPGRADES} upgrades to /v1/worker with random tokens from 127.0.0.1, ${IN_FLIGHT} in flight, by a ` +
          `client that never answers a close frame (it lets go after ${PATIENCE_MS / 1000} s): ${outcomes.refused} ` +
          `refused with 429 before any socket, ${outcomes.upgraded} upgraded and closed by the proxy, ` +
          `${outcomes.held} still held by the proxy at the deadline, ${outcomes.other} other; the flood took ` +
          `${round(floodS)} s. Honest jobs one after another meanwhile (${during.length} jobs) against ` +
          `${HONEST_BEFORE} just before (baseline); ratio = during / before (target ≤ 2).`,
      },
      {
        name: 'proxy open file descriptors, peak during the flood',
        value: fdsPeak,
        unit: 'fds',
        baseline: fdsBefore,
        ratio: round(fdsPeak / fdsBefore, 2),
        note: `/proc/<proxy pid>/fd: ${fdsBefore} before the flood (baseline), ${fdsPeak} at its peak (sampled every 50 ms), ${fdsAfter} one second after it ended.`,
      },
      {
        name: 'proxy open file descriptors, 1 s after the flood',
        value: fdsAfter,
        unit: 'fds',
        baseline: fdsBefore,
      },
    ];
  } finally {
    await m.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const rows = await benchWorkerFlood();
  printBenchResults(rows);
  process.exit(0);
}
