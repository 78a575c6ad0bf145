// Chaos: a cheater in a market of honest rigs, with audits and bonds as the network runs them. Honest rigs are
// real worker processes (`worker/src/cli.ts`) running the real models, with different onnxruntime thread
// counts; they execute jobs and audit each other. The cheater is the protocol-real test worker serving the same
// model names at the cheapest ask: honest (the real models' output) through its probation and 50 more jobs,
// then it cheats, one way per run (CHAOS_CHEAT names it; otherwise the day of the year picks it). Then about
// 500 more jobs. It must end quarantined, every job it cheated on refunded in full, no honest rig flagged,
// the ledger summing to zero, and a canary in every prompt nowhere in the proxy's database or logs. The
// honest rigs are established (past probation, bonded): trusted auditors (proxy/src/audits/trust.ts). There
// is no operator's rig here, so a lying auditor (bonded, past probation too) can't be outvoted: its fail
// against an honest auditor's pass leaves the job disputed, and nobody is quarantined or paid back for it.
// (Colluding auditors: colluders.chaos.test.ts.)
// Runs once per `npm test` (its own Vitest project), on PGlite.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import {
  type Db,
  ledgerTotals,
  type ProxyServer,
  postTx,
  SYSTEM,
  startProxy,
  userAccount,
} from '@cocoon/proxy';
import {
  canarySpellings,
  databaseDump,
  openTestDb,
  resetDb,
  startTestWorker,
  type TestWorker,
  testConfig,
  userClient,
} from '@cocoon/proxy/testing';
import type { JobBody } from '@cocoon/shared';
import { createLogger } from '@cocoon/shared/node';
import { DEMO_MODEL_ID, loadModels, type Model, SUMMARIZER_ID } from '@cocoon/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHEATS = ['junk', 'other-model', 'cut-short', 'inflate', 'two-faced-audit', 'lying-auditor'] as const;
type Cheat = (typeof CHEATS)[number];
const dayOfYear = Math.floor((Date.now() - Date.UTC(new Date().getUTCFullYear(), 0, 1)) / 86_400_000);
const CHEAT: Cheat = (process.env.CHAOS_CHEAT as Cheat) ?? CHEATS[dayOfYear % CHEATS.length];
const PROBATION = 20;
const HONEST_AFTER_PROBATION = 50;
const JOBS_AFTER_CHEATING = 500;
const CONCURRENCY = 3;
const CANARY = `canary${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
const WORKER_CLI = path.resolve(import.meta.dirname, '../../worker/src/cli.ts');
const silent = createLogger('silent');

let db: Db;
let proxy: ProxyServer;
let models: Map<string, Model>;
let root: string;
const procs: ChildProcess[] = [];
let cheater: TestWorker;
const logLines: string[] = [];

async function fund(userId: string, amount: bigint) {
  await postTx(db, {
    kind: 'deposit',
    uniqueKey: `chaos-fund:${userId}`,
    transfers: [{ from: SYSTEM.deposits, to: userAccount(userId), amount }],
  });
}

/** A real worker process for a new owner, bonded, with `threads` onnxruntime threads. */
async function honestRig(ownerId: number, threads: number): Promise<string> {
  const owner = userClient(proxy, ownerId);
  await owner.me();
  await fund(String(ownerId), 10_000_000_000n);
  const { rig, token } = await owner.registerRig(`honest-${ownerId}`);
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      WORKER_CLI,
      ...[
        '--proxy',
        proxy.url,
        '--device',
        'cpu',
        '--threads',
        String(threads),
        '--slots',
        String(CONCURRENCY),
      ],
    ],
    {
      env: {
        ...process.env,
        COCOON_RIG_TOKEN: token,
        COCOON_CONFIG_DIR: path.join(root, `rig-${ownerId}`),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  procs.push(proc);
  for (let i = 0; i < 600; i++) {
    const view = (await owner.rigs()).rigs[0];
    if (view.online && view.models.length >= 2) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const m of [SUMMARIZER_ID, DEMO_MODEL_ID]) await owner.setAsk(rig.id, m, 2_000_000n);
  await owner.addBond(rig.id, 1_000_000_000n);
  await establish(rig.id);
  return rig.id;
}

/** Past probation: a trusted auditor once bonded (proxy/src/audits/trust.ts). */
async function establish(rigId: string) {
  await db.query('UPDATE rigs SET probation_from = jobs_done - $2, probation_passes = 3 WHERE id = $1', [
    rigId,
    PROBATION,
  ]);
}

function jobBody(i: number): { model: string; body: JobBody } {
  if (i % 4 === 3)
    return {
      model: SUMMARIZER_ID,
      body: {
        kind: 'summarize',
        messages: [
          { author: 'ann', text: `Decision ${i}: we ship the ${CANARY} build on Friday at 10am.` },
          { author: 'bo', text: `I will write the release notes by Thursday, ticket ${i}.` },
          { author: 'cy', text: 'ok' },
          { author: 'ann', text: `Budget for the launch party is ${100 + i} euros, booked at Luigi.` },
        ],
        maxTokens: 200,
      },
    };
  return {
    model: DEMO_MODEL_ID,
    body: {
      kind: 'generate',
      prompt: `${CANARY} The committee said that the ${['city', 'house', 'church', 'school'][i % 4]}`,
      maxTokens: 24,
      temperature: 0.8,
      topP: 0.95,
      seed: 10_000 + i,
    },
  };
}

/** The real models' output for a body: what the cheater gives while it is honest. */
async function honestOutput(body: JobBody) {
  if (body.kind === 'chat') throw new Error('no chat jobs here');
  const model = models.get(body.kind === 'summarize' ? SUMMARIZER_ID : DEMO_MODEL_ID)!;
  const r = await model.run(body, () => {});
  return {
    text: r.text,
    promptTokens: r.promptTokens,
    completionTokens: r.completionTokens,
    finishReason: r.finishReason ?? 'stop',
  };
}

let served = 0;
async function cheatedOutput(body: JobBody) {
  // Counted before anything is awaited: the n-th call is the n-th job the rig was given (its `received`).
  const n = ++served;
  const honest = await honestOutput(body);
  if (n <= PROBATION + HONEST_AFTER_PROBATION || CHEAT === 'two-faced-audit' || CHEAT === 'lying-auditor')
    return honest;
  switch (CHEAT) {
    case 'junk':
      return { ...honest, text: 'the of and the in was said the of and' };
    case 'other-model': {
      // Another model under the pinned name: for summaries, another selection (one more line, in another
      // order); for generation, the demo model sampled hotter with another seed.
      if (body.kind !== 'generate')
        return { ...honest, text: [...honest.text.split('\n').reverse(), 'cy: ok'].join('\n') };
      const other = await models.get(DEMO_MODEL_ID)!.run({ ...body, temperature: 1.5, seed: 7 }, () => {});
      return { ...honest, text: other.text };
    }
    case 'cut-short':
      return { ...honest, text: honest.text.slice(0, Math.ceil(honest.text.length / 2)) };
    case 'inflate':
      // Bills more than it ran: the whole token budget, or (when the output already filled it) the prompt.
      return honest.completionTokens < body.maxTokens
        ? { ...honest, completionTokens: body.maxTokens }
        : { ...honest, promptTokens: honest.promptTokens + 8 };
  }
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'cocoon-chaos-'));
  [db, models] = await Promise.all([openTestDb(), loadModels({ device: 'cpu', logger: silent })]);
  await resetDb(db);
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const config = testConfig({
    LOG_LEVEL: 'debug',
    AUDIT_RATE: '0.05',
    AUDIT_PROBATION_JOBS: String(PROBATION),
    BOND_NANO: '1000000000',
    RIG_COOLDOWN_MS: '0',
    TRIAL_CREDIT_NANO: '0',
    // Three clients run hundreds of jobs a minute here: far past a user's fair share.
    RATE_QUOTES_PER_MIN: '100000',
    RATE_CALLER_PER_MIN: '100000',
  });
  proxy = await startProxy(config, { db, log: createLogger('debug', sink), sweepMs: 200 });
}, 120_000);

afterAll(async () => {
  for (const p of procs) p.kill('SIGTERM');
  await cheater?.close();
  await proxy?.close();
  for (const m of models?.values() ?? []) await m.dispose();
  await db?.close();
  rmSync(root, { recursive: true, force: true });
});

describe(`a cheater among honest rigs (${CHEAT})`, () => {
  it('is quarantined, its victims refunded in full; honest rigs are never flagged; no plaintext reaches the proxy', async () => {
    const honest = [await honestRig(1001, 1), await honestRig(1002, 2)];
    const owner = userClient(proxy, 1003);
    await owner.me();
    await fund('1003', 10_000_000_000n);
    const { rig, token } = await owner.registerRig('cheater');
    const liar = CHEAT === 'lying-auditor';
    cheater = startTestWorker({
      url: proxy.url,
      token,
      behaviour: liar
        ? 'lying-auditor'
        : (n) =>
            CHEAT === 'two-faced-audit' && n >= PROBATION + HONEST_AFTER_PROBATION ? 'two-faced-audit' : 'ok',
      models: [
        { id: DEMO_MODEL_ID, kinds: ['generate', 'chat'] },
        { id: SUMMARIZER_ID, kinds: ['summarize'] },
      ],
      output: cheatedOutput,
    });
    await cheater.rigId;
    // The cheater undercuts the honest rigs and so runs most jobs; the liar asks more, so it mostly audits.
    for (const m of [SUMMARIZER_ID, DEMO_MODEL_ID])
      await owner.setAsk(rig.id, m, liar ? 4_000_000n : 1_000_000n);
    await owner.addBond(rig.id, 1_000_000_000n);
    // The liar has been around long enough to audit; the other cheats start fresh.
    if (liar) await establish(rig.id);

    const users = Array.from({ length: 3 }, (_, i) => userClient(proxy, 2001 + i));
    for (const [i, u] of users.entries()) {
      await u.me();
      await fund(String(2001 + i), 100_000_000_000n);
    }
    const total = PROBATION + HONEST_AFTER_PROBATION + JOBS_AFTER_CHEATING;
    let next = 0;
    const results: Array<{ jobId: string; rigId: string }> = [];
    await Promise.all(
      users.slice(0, CONCURRENCY).map(async (u) => {
        for (let i = next++; i < total; i = next++) {
          const { model, body } = jobBody(i);
          const r = await u.runJob({ model, body, timeoutMs: 60_000 });
          results.push({ jobId: r.jobId, rigId: r.rigId });
        }
      }),
    );
    // Let the last audits finish.
    for (let i = 0; i < 100; i++) {
      const open = await db.query("SELECT 1 FROM jobs WHERE audit_state = 'pending' LIMIT 1");
      if (open.rows.length === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }

    const rigs = await db.query<{
      id: string;
      quarantined_at: Date | null;
      audits_failed: number;
      audits_passed: number;
    }>('SELECT id, quarantined_at, audits_failed, audits_passed FROM rigs');
    const byId = new Map(rigs.rows.map((r) => [r.id, r]));
    if (!liar) expect(byId.get(rig.id)!.quarantined_at, `the ${CHEAT} cheater is quarantined`).not.toBeNull();
    for (const id of honest) {
      expect(byId.get(id)).toMatchObject({ quarantined_at: null, audits_failed: 0 });
      expect(byId.get(id)!.audits_passed).toBeGreaterThan(0);
    }

    if (!liar) {
      // Every job it ran after it began to cheat was refunded in full.
      const cheaterJobs = cheater.received.slice(PROBATION + HONEST_AFTER_PROBATION);
      expect(cheaterJobs.length).toBeGreaterThan(0);
      const states = await db.query<{ id: string; audit_state: string | null; state: string }>(
        'SELECT id, audit_state, state FROM jobs WHERE id = ANY($1::uuid[])',
        [cheaterJobs],
      );
      for (const j of states.rows.filter((x) => x.state === 'done')) expect(j.audit_state).toBe('refunded');
      const refunds = await db.query<{ n: string }>(
        "SELECT count(*)::text AS n FROM ledger_tx WHERE kind = 'audit-refund'",
      );
      expect(Number(refunds.rows[0].n)).toBeGreaterThanOrEqual(
        states.rows.filter((x) => x.state === 'done').length,
      );
    } else {
      // Its fails were heard (the jobs disputed) and moved nothing.
      expect(await db.query("SELECT 1 FROM jobs WHERE audit_state = 'refunded'")).toMatchObject({ rows: [] });
      const lies = await db.query<{ audit_state: string }>(
        "SELECT j.audit_state FROM audits a JOIN jobs j ON j.id = a.job_id WHERE a.auditor_rig_id = $1 AND a.state = 'fail'",
        [rig.id],
      );
      expect(lies.rows.length).toBeGreaterThan(0);
      for (const j of lies.rows) expect(j.audit_state).toBe('disputed');
    }
    expect(results.length).toBe(total);
    expect(await ledgerTotals(db)).toEqual({ entries: 0n, balances: 0n });

    const dump = await databaseDump(db);
    const logs = logLines.join('');
    for (const s of canarySpellings(CANARY)) {
      expect(dump.includes(s), `the database holds ${s}`).toBe(false);
      expect(logs.includes(s), `the logs hold ${s}`).toBe(false);
    }
    const audits = await db.query<{ state: string; n: string }>(
      'SELECT state, count(*)::text AS n FROM audits GROUP BY state ORDER BY state',
    );
    console.log(
      `chaos (${CHEAT}): ${total} jobs; audits ${JSON.stringify(Object.fromEntries(audits.rows.map((a) => [a.state, Number(a.n)])))}; cheater ran ${cheater.received.length}`,
    );
  });
});
