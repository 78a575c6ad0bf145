// Chaos: colluding auditors (issue #26). Two, then three, fresh Telegram accounts each run a rig and stake a
// bond. Phase one: at the cheapest ask, they run honestly through their probation (every job audited), so
// they become trusted auditors. Phase two: the operator's rig (two slots) undercuts them, as in the attack
// the issue reproduced; the colluders fail every honest rig's job they audit, pass one another's, and cheat
// on every job they run (the operator's rig overflows to them). Against them: the operator's rig and an
// established honest rig of another owner, both real workers (in process) running the real models. Every job
// is audited. What must hold: no honest rig is ever quarantined or flagged, every colluder that cheated is
// quarantined and lost its whole stake, every done job a colluder cheated is refunded, nothing an honest rig
// ran is paid back, and the ledger sums to zero.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  balanceOf,
  type Db,
  ledgerTotals,
  type ProxyServer,
  postTx,
  SYSTEM,
  userAccount,
} from '@cocoon/proxy';
import {
  openTestDb,
  resetDb,
  startTestProxy,
  startTestWorker,
  type TestWorker,
  userClient,
} from '@cocoon/proxy/testing';
import type { JobBody } from '@cocoon/shared';
import { createLogger } from '@cocoon/shared/node';
import { DEMO_MODEL_ID, loadModels, type Model, startWorker, type WorkerHandle } from '@cocoon/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const PROBATION = 5;
const PHASE_ONE_MAX = 40;
const PHASE_TWO = 30;
const CONCURRENCY = 3;
const BOND = 1_000_000_000n;
const OPERATOR = 1001;
const silent = createLogger('silent');

let db: Db;
let proxy: ProxyServer | undefined;
let models: Map<string, Model>;
let root: string;
let workers: WorkerHandle[] = [];
let testWorkers: TestWorker[] = [];
let funded = 0;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'cocoon-colluders-'));
  [db, models] = await Promise.all([openTestDb(), loadModels({ device: 'cpu', logger: silent })]);
}, 120_000);
afterEach(async () => {
  await Promise.all(workers.map((w) => w.stop({ graceful: false })));
  await Promise.all(testWorkers.map((w) => w.close()));
  workers = [];
  testWorkers = [];
  await proxy?.close();
});
afterAll(async () => {
  for (const m of models?.values() ?? []) await m.dispose();
  await db?.close();
  rmSync(root, { recursive: true, force: true });
});

async function fund(userId: number, amount: bigint) {
  await postTx(db, {
    kind: 'deposit',
    uniqueKey: `chaos-fund:${userId}:${++funded}`,
    transfers: [{ from: SYSTEM.deposits, to: userAccount(String(userId)), amount }],
  });
}

function jobBody(i: number): JobBody {
  const subject = ['city', 'house', 'church', 'school'][i % 4];
  return {
    kind: 'generate',
    prompt: `The committee said that the ${subject}`,
    maxTokens: 16,
    temperature: 0.8,
    topP: 0.95,
    seed: 20_000 + i,
  };
}

/** A real worker running the real models; `established`: past probation with a full bond. */
async function honestRig(ownerId: number, established: boolean, slots: number): Promise<string> {
  const owner = userClient(proxy!, ownerId);
  const { rig, token } = await owner.registerRig(`honest-${ownerId}`);
  const worker = startWorker({
    proxyUrl: proxy!.url,
    token,
    models,
    configDir: path.join(root, `${ownerId}-${Date.now()}`),
    logger: silent,
    slots,
    backoff: { initialMs: 50, maxMs: 200 },
  });
  workers.push(worker);
  await worker.rigId;
  await owner.setAsk(rig.id, DEMO_MODEL_ID, 2_000_000n);
  if (established) {
    await fund(ownerId, BOND);
    await owner.addBond(rig.id, BOND);
    await db.query('UPDATE rigs SET probation_from = jobs_done - $2, probation_passes = 3 WHERE id = $1', [
      rig.id,
      PROBATION,
    ]);
  }
  return rig.id;
}

/** The colluders' shared state: the jobs they ran, and the ones they cheated on. */
const ring = { ran: new Set<string>(), cheated: new Set<string>(), cheating: false };

async function colluder(ownerId: number) {
  const owner = userClient(proxy!, ownerId);
  await owner.me();
  await fund(ownerId, BOND);
  const { rig, token } = await owner.registerRig(`colluder-${ownerId}`);
  const w = startTestWorker({
    url: proxy!.url,
    token,
    models: [{ id: DEMO_MODEL_ID, kinds: ['generate'] }],
    output: async (body, jobId) => {
      ring.ran.add(jobId);
      if (body.kind !== 'generate') throw new Error('generate jobs only here');
      const r = await models.get(DEMO_MODEL_ID)!.run(body, () => {});
      const { text, promptTokens, completionTokens } = r;
      const honest = { text, promptTokens, completionTokens, finishReason: r.finishReason ?? 'stop' };
      if (!ring.cheating) return honest;
      ring.cheated.add(jobId);
      return { ...honest, text: 'the of and the in was said the of and' };
    },
    // Pass the ring's jobs, fail everyone else's.
    answerAudits: (audit) => (ring.ran.has(audit.jobId) ? 'pass' : 'fail'),
  });
  testWorkers.push(w);
  await w.rigId;
  await owner.setAsk(rig.id, DEMO_MODEL_ID, 1_000_000n);
  await owner.addBond(rig.id, BOND);
  return { id: rig.id, worker: w };
}

let jobsRun = 0;
/** Runs `count` jobs from three users at once (stopping early when `done` says so). */
async function runJobs(count: number, done: () => Promise<boolean> = async () => false) {
  const users = Array.from({ length: CONCURRENCY }, (_, i) => userClient(proxy!, 2001 + i));
  let left = count;
  await Promise.all(
    users.map(async (u) => {
      while (left-- > 0 && !(await done()))
        await u.runJob({ model: DEMO_MODEL_ID, body: jobBody(jobsRun++), timeoutMs: 60_000 });
    }),
  );
  await auditsDone();
}

async function auditsDone() {
  for (let i = 0; i < 100; i++) {
    const open = await db.query("SELECT 1 FROM jobs WHERE audit_state = 'pending' LIMIT 1");
    if (open.rows.length === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function rigRow(id: string) {
  const r = await db.query<{ quarantined_at: Date | null; audits_failed: number }>(
    'SELECT quarantined_at, audits_failed FROM rigs WHERE id = $1',
    [id],
  );
  return r.rows[0];
}

describe.each([2, 3])('%i colluding fresh accounts against honest rigs', (k) => {
  it('never quarantine an honest rig; they lose their stake, and every job they cheated is refunded', async () => {
    await resetDb(db);
    ring.ran.clear();
    ring.cheated.clear();
    ring.cheating = false;
    jobsRun = 0;
    proxy = await startTestProxy(db, {
      TRIAL_CREDIT_NANO: '0',
      AUDIT_RATE: '1',
      AUDIT_PROBATION_JOBS: String(PROBATION),
      BOND_NANO: String(BOND),
      AUDIT_PENALTY_NANO: String(BOND),
      OPERATOR_OWNER_IDS: String(OPERATOR),
      RIG_COOLDOWN_MS: '0',
      RATE_QUOTES_PER_MIN: '100000',
      RATE_CALLER_PER_MIN: '100000',
    });
    const honest = [await honestRig(OPERATOR, false, 2), await honestRig(1002, true, CONCURRENCY)];
    const ring_: Array<Awaited<ReturnType<typeof colluder>>> = [];
    for (let i = 0; i < k; i++) ring_.push(await colluder(3001 + i));
    for (let i = 0; i < CONCURRENCY; i++) {
      await userClient(proxy, 2001 + i).me();
      await fund(2001 + i, 100n * BOND);
    }
    // Phase one: the colluders run their probation honestly.
    await runJobs(PHASE_ONE_MAX, async () => {
      const r = await db.query<{ n: number }>(
        'SELECT min(jobs_done)::int AS n FROM rigs WHERE id = ANY($1::uuid[])',
        [ring_.map((c) => c.id)],
      );
      return (r.rows[0]?.n ?? 0) >= PROBATION;
    });
    // Phase two: the operator's rig undercuts them; they lie as auditors and cheat as rigs.
    ring.cheating = true;
    await userClient(proxy, OPERATOR).setAsk(honest[0], DEMO_MODEL_ID, 500_000n);
    await runJobs(PHASE_TWO);

    for (const id of honest)
      expect(await rigRow(id)).toMatchObject({ quarantined_at: null, audits_failed: 0 });
    expect(ring.cheated.size).toBeGreaterThan(0);
    for (const c of ring_) {
      if (c.worker.received.length <= PROBATION) continue; // never got to cheat
      expect((await rigRow(c.id)).quarantined_at, 'a colluder that cheated is quarantined').not.toBeNull();
      expect(await balanceOf(db, `bond:${c.id}`), 'and lost its stake').toBe(0n);
    }
    const cheated = await db.query<{ state: string; audit_state: string | null }>(
      'SELECT state, audit_state FROM jobs WHERE id = ANY($1::uuid[])',
      [[...ring.cheated]],
    );
    for (const j of cheated.rows.filter((x) => x.state === 'done')) expect(j.audit_state).toBe('refunded');
    // Nothing an honest rig ran was paid back.
    const wronged = await db.query(
      "SELECT 1 FROM jobs WHERE rig_id = ANY($1::uuid[]) AND audit_state = 'refunded'",
      [honest],
    );
    expect(wronged.rows).toEqual([]);
    const ringVerdicts = await db.query<{ state: string; n: string }>(
      'SELECT state, count(*)::text AS n FROM audits WHERE auditor_rig_id = ANY($1::uuid[]) GROUP BY state',
      [ring_.map((c) => c.id)],
    );
    expect(await ledgerTotals(db)).toEqual({ entries: 0n, balances: 0n });
    const audits = await db.query<{ state: string; n: string }>(
      'SELECT state, count(*)::text AS n FROM audits GROUP BY state ORDER BY state',
    );
    console.log(
      `colluders (${k}): ${jobsRun} jobs; cheated ${ring.cheated.size}; audits ${JSON.stringify(Object.fromEntries(audits.rows.map((a) => [a.state, Number(a.n)])))}; the colluders' verdicts ${JSON.stringify(Object.fromEntries(ringVerdicts.rows.map((a) => [a.state, Number(a.n)])))}`,
    );
  });
});
