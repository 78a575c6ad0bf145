// Chaos: worker processes killed with SIGKILL mid-job (100+ times), worker sockets dropped at random, and
// the proxy itself restarted under load. Afterwards every job has ended exactly once and the ledger is
// exact to the nanoTON. Bounded: each scenario stops at its count or its deadline, whichever comes first.

import type { Db, ProxyServer } from '@cocoon/proxy';
import { openTestDb, resetDb, startTestProxy, testModelOutput, userClient } from '@cocoon/proxy/testing';
import { ApiError, type JobBody, runJobResilient } from '@cocoon/shared';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ChaosWorker, startChaosWorker } from './chaos-worker';
import { checkInvariants, waitForTerminalJobs } from './invariants';
import { type WorkerLauncher, type WorkerProcess, workerLauncher } from './processes';

const TRIAL = 500_000_000n;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = (n: number) => Math.floor(Math.random() * n);

let db: Db;
let proxy: ProxyServer | undefined;
let launcher: WorkerLauncher;
let inProcess: ChaosWorker[] = [];

beforeAll(async () => {
  [db, launcher] = await Promise.all([openTestDb(), workerLauncher()]);
});
afterAll(async () => {
  launcher?.dispose();
  // The proxy's worker-socket close handlers still write to the database after close() returns (see the
  // report: close() does not wait for them); give them a moment before the database goes away.
  await sleep(500);
  await db?.close();
});
beforeEach(async () => {
  await resetDb(db);
});
afterEach(async () => {
  launcher?.killAll();
  await Promise.all(inProcess.map((w) => w.close()));
  inProcess = [];
  await proxy?.close();
  proxy = undefined;
});

/** A job body of `n` words; the three kinds in turn. */
function body(i: number, n = 8): JobBody {
  const text = Array.from({ length: n }, (_, k) => `w${i}x${k}`).join(' ');
  const kind = (['generate', 'summarize', 'chat'] as const)[i % 3];
  if (kind === 'generate') return { kind, prompt: text, maxTokens: 16 };
  if (kind === 'summarize') return { kind, messages: [{ author: 'a', text }], maxTokens: 16 };
  return { kind, messages: [{ role: 'user', content: text }], maxTokens: 16 };
}

async function registerRig(p: ProxyServer, ownerId: number) {
  const owner = userClient(p, ownerId);
  const { rig, token } = await owner.registerRig(`rig-${ownerId}`);
  return { id: rig.id, token, owner };
}

async function expectHealthyLedger() {
  const open = await waitForTerminalJobs(db, 20_000);
  expect(open, 'jobs still open after the bound').toBe(0);
  const report = await checkInvariants(db, TRIAL);
  expect(report.problems).toEqual([]);
  return report.jobs;
}

describe('chaos', () => {
  it('kills worker processes with SIGKILL mid-job 100+ times; every job ends once, money is exact', async () => {
    // Cool-downs off: this test kills rigs on purpose, over and over; it checks crash recovery, not standing.
    const p = await startTestProxy(db, { LEASE_MS: '3000', HEARTBEAT_MS: '2000', RIG_COOLDOWN_MS: '0' }, 250);
    proxy = p;
    // Healthy rigs in this process (dearer), victims as processes (cheapest, one slot each, slow words),
    // so jobs go to a victim first and fail over to another victim or a healthy rig when it dies.
    for (const [i, price] of [2_000_000n].entries()) {
      const r = await registerRig(p, 1101 + i);
      const w = startChaosWorker({ url: p.url, token: r.token, seed: `healthy-${i}`, slots: 16, delayMs: 2 });
      inProcess.push(w);
      await w.rigId;
      await r.owner.setAsk(r.id, 'test-echo', price);
    }
    const victims: Array<{
      id: string;
      token: string;
      seed: string;
      proc: WorkerProcess;
      spare: WorkerProcess;
    }> = [];
    // Each victim has a loaded spare process waiting for "go", so a killed rig is back without a start-up.
    const spawnVictim = (token: string, seed: string) =>
      launcher.spawn({
        CHAOS_URL: p.url,
        CHAOS_TOKEN: token,
        CHAOS_SEED: seed,
        CHAOS_SLOTS: '1',
        CHAOS_DELAY_MS: '25',
        CHAOS_LIFETIME_MS: '90000',
        CHAOS_STANDBY: '1',
      });
    for (let i = 0; i < 8; i++) {
      const r = await registerRig(p, 1001 + i);
      const seed = `victim-${i}`;
      const proc = spawnVictim(r.token, seed);
      proc.go();
      await proc.welcome;
      await r.owner.setAsk(r.id, 'test-echo', 1_000_000n);
      victims.push({ id: r.id, token: r.token, seed, proc, spare: spawnVictim(r.token, seed) });
    }

    const TARGET_KILLS = 105;
    // A safety net, not a timing assertion: on an idle machine the target is reached in well under a minute.
    const deadline = Date.now() + 150_000;
    let kills = 0;
    let midJobKills = 0;
    let stop = false;

    // Killers: one per victim. Wait for an assignment, let a few words stream, SIGKILL, start the spare.
    const killers = victims.map(async (v) => {
      for (let round = 0; round < 100 && !stop; round++) {
        const job = await Promise.race([v.proc.nextAssign(), sleep(5000).then(() => null)]);
        if (stop) break;
        if (!job) continue;
        await sleep(rand(60));
        const wasMidJob = !v.proc.done.includes(job);
        v.proc.kill9();
        await v.proc.exited;
        kills++;
        if (wasMidJob) midJobKills++;
        if (midJobKills >= TARGET_KILLS || Date.now() > deadline) stop = true;
        v.proc = v.spare;
        v.proc.go();
        v.spare = spawnVictim(v.token, v.seed);
        await Promise.race([v.proc.welcome.catch(() => {}), sleep(10_000)]);
      }
    });

    // Clients: eight loops over three users, jobs back to back until the killers are done.
    const outcomes: Array<{ ok: boolean; code?: string }> = [];
    const clients = Array.from({ length: 8 }, async (_, loop) => {
      const user = userClient(p, 3001 + (loop % 3));
      for (let i = 0; i < 300 && !stop; i++) {
        const b = body(loop * 1000 + i, 5);
        try {
          const res = await user.runJob({ model: 'test-echo', body: b, timeoutMs: 20_000 });
          expect(res.text).toBe(testModelOutput(b));
          const view = await user.job(res.jobId);
          expect(view.state).toBe('done');
          expect(view.costNano).toBe(res.costNano.toString());
          outcomes.push({ ok: true });
        } catch (err) {
          expect(err).toBeInstanceOf(ApiError);
          outcomes.push({ ok: false, code: (err as ApiError).code });
        }
      }
    });
    await Promise.all(killers);
    stop = true;
    await Promise.all(clients);

    expect(kills).toBeGreaterThanOrEqual(100);
    expect(midJobKills).toBeGreaterThanOrEqual(100);
    // A client only ever sees a result or a failed job, never a hang or a protocol error.
    expect(outcomes.filter((o) => !o.ok && o.code !== 'job_failed')).toEqual([]);
    const jobs = await expectHealthyLedger();
    expect(jobs.done).toBeGreaterThan(0);
    expect(jobs.total).toBe(outcomes.length);
    const failReasons = await db.query<{ fail_reason: string }>(
      "SELECT DISTINCT fail_reason FROM jobs WHERE state = 'failed'",
    );
    for (const r of failReasons.rows)
      expect(r.fail_reason).toMatch(/disconnected|no rig left|lease expired|no candidate rig is online/);
    for (const v of victims) {
      v.proc.kill9();
      v.spare.kill9();
    }
  }, 240_000);

  it('drops worker sockets at random while jobs run; rigs reconnect and every job ends once', async () => {
    const p = await startTestProxy(db, { LEASE_MS: '3000', HEARTBEAT_MS: '2000', RIG_COOLDOWN_MS: '0' }, 100);
    proxy = p;
    const rigs: ChaosWorker[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await registerRig(p, 1201 + i);
      const w = startChaosWorker({
        url: p.url,
        token: r.token,
        seed: `drop-${i}`,
        slots: 4,
        delayMs: 10,
        reconnects: 100,
        reconnectDelayMs: 50,
      });
      rigs.push(w);
      inProcess.push(w);
      await w.rigId;
      await r.owner.setAsk(r.id, 'test-echo', BigInt(1_000_000 + i * 100_000));
    }
    let stop = false;
    let drops = 0;
    const dropper = (async () => {
      for (let i = 0; i < 60 && !stop; i++) {
        await sleep(20 + rand(80));
        rigs[rand(rigs.length)].drop();
        drops++;
      }
      stop = true;
    })();
    const results: string[] = [];
    const clients = Array.from({ length: 6 }, async (_, loop) => {
      const user = userClient(p, 3001 + (loop % 3));
      for (let i = 0; i < 200 && !stop; i++) {
        const b = body(loop * 1000 + i, 6);
        const res = await user.runJob({ model: 'test-echo', body: b, timeoutMs: 20_000 }).catch((e) => e);
        if (res instanceof ApiError) {
          // No rig online at quote time (all just dropped) or every candidate dropped the job.
          expect(['job_failed', 'no_capacity']).toContain(res.code);
          results.push(res.code);
        } else {
          expect(res.text).toBe(testModelOutput(b));
          results.push('done');
        }
      }
    });
    await dropper;
    await Promise.all(clients);
    expect(drops).toBeGreaterThanOrEqual(30);
    expect(results.filter((r) => r === 'done').length).toBeGreaterThan(0);
    await expectHealthyLedger();
  });

  it('restarts the proxy under load on the same database and port; clients recover by polling', async () => {
    const env = { LEASE_MS: '1500', HEARTBEAT_MS: '1000', QUOTE_TTL_MS: '2000', RIG_COOLDOWN_MS: '0' };
    let p = await startTestProxy(db, env, 100);
    proxy = p;
    const port = new URL(p.url).port;
    for (let i = 0; i < 3; i++) {
      const r = await registerRig(p, 1301 + i);
      const w = startChaosWorker({
        url: p.url,
        token: r.token,
        seed: `restart-${i}`,
        slots: 8,
        delayMs: 15,
        reconnects: 200,
        reconnectDelayMs: 100,
      });
      inProcess.push(w);
      await w.rigId;
      await r.owner.setAsk(r.id, 'test-echo', BigInt(1_000_000 + i * 100_000));
    }
    let stop = false;
    const outcomes: Array<Awaited<ReturnType<typeof runJobResilient>>> = [];
    const bodies = new Map<string, JobBody>();
    const clients = Array.from({ length: 6 }, async (_, loop) => {
      const user = userClient(p, 3001 + (loop % 3));
      for (let i = 0; i < 100 && !stop; i++) {
        const b = body(loop * 1000 + i);
        const out = await runJobResilient(user, 'test-echo', b);
        if (out.jobId) bodies.set(out.jobId, b);
        outcomes.push(out);
      }
    });
    const restarts = 3;
    for (let i = 0; i < restarts; i++) {
      await sleep(600 + rand(400));
      const closing = p.close();
      const closed = await Promise.race([closing.then(() => true), sleep(10_000).then(() => false)]);
      expect(closed, 'the proxy closed within 10 s with job streams open').toBe(true);
      p = await startTestProxy(db, { ...env, PORT: port }, 100);
      proxy = p;
      expect(p.url).toContain(`:${port}`);
    }
    await sleep(800);
    stop = true;
    await Promise.all(clients);

    const done = outcomes.filter((o) => o.kind === 'done');
    expect(done.length).toBeGreaterThan(0);
    for (const o of done) expect(o.text).toBe(testModelOutput(bodies.get(o.jobId)!));
    expect(outcomes.filter((o) => o.kind === 'not-submitted' && o.jobId === null)).toEqual([]);
    const jobs = await expectHealthyLedger();
    // Every job a client saw end is in the same state in the database.
    for (const o of outcomes) {
      if (o.kind === 'not-submitted') continue;
      const r = await db.query<{ state: string }>('SELECT state FROM jobs WHERE id = $1', [o.jobId]);
      expect(r.rows[0].state).toBe(o.kind);
    }
    expect(jobs.total).toBeGreaterThanOrEqual(outcomes.length);
  });
});
