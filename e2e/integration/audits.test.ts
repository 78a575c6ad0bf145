// Audits by other rigs, end to end: honest rigs are real workers running the real models (they execute and
// they audit: past probation, so trusted auditors, with bonds off here); a cheater is the protocol-real test
// worker serving the same model names with a cheat. Every job is audited. A cheater is caught by auditors of
// two owners, its users are paid back in full and it is quarantined; a lying auditor's fail against an honest
// pass is disputed (no operator's rig to decide it: nobody quarantined, no money moves); honest rigs are
// never flagged; the ledger sums to zero throughout. (The operator's rig outvoting a liar, and colluders:
// proxy/src/audits/collusion.test.ts.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Db, ledgerTotals, type ProxyServer } from '@cocoon/proxy';
import {
  openTestDb,
  resetDb,
  spendableNano,
  startTestProxy,
  startTestWorker,
  type TestWorker,
  type TestWorkerBehaviour,
  userClient,
} from '@cocoon/proxy/testing';
import type { JobBody } from '@cocoon/shared';
import { createLogger } from '@cocoon/shared/node';
import {
  DEMO_MODEL_ID,
  loadModels,
  type Model,
  SUMMARIZER_ID,
  startWorker,
  type WorkerHandle,
} from '@cocoon/worker';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const silent = createLogger('silent');
const CHAT = [
  { author: 'ann', text: 'We need to pick a venue for the team dinner next week.' },
  { author: 'bo', text: 'Luigi has a private room for twelve people and takes bookings online.' },
  { author: 'ann', text: 'Decision: the team dinner is at Luigi on Friday at 7pm, I will book it today.' },
  { author: 'cy', text: 'Great, I will tell the others and collect the dietary needs by Wednesday.' },
];
const GENERATE: JobBody = {
  kind: 'generate',
  prompt: 'The old man walked to the church and said',
  maxTokens: 120,
  temperature: 0.9,
  topP: 0.95,
  seed: 77,
};
const SUMMARIZE: JobBody = { kind: 'summarize', messages: CHAT, maxTokens: 200 };
const HONEST_ASK = 2_000_000n;
const CHEAP_ASK = 1_000_000n;

let db: Db;
let proxy: ProxyServer;
let models: Map<string, Model>;
let configRoot: string;
let workers: WorkerHandle[] = [];
let testWorkers: TestWorker[] = [];

beforeAll(async () => {
  configRoot = mkdtempSync(path.join(tmpdir(), 'cocoon-audits-'));
  [db, models] = await Promise.all([openTestDb(), loadModels({ device: 'cpu', logger: silent })]);
});
afterAll(async () => {
  for (const m of models?.values() ?? []) await m.dispose();
  await db?.close();
  rmSync(configRoot, { recursive: true, force: true });
});
beforeEach(async () => {
  await resetDb(db);
  proxy = await startTestProxy(db, {
    AUDIT_PROBATION_JOBS: '1000',
    AUDIT_RATE: '1',
    RIG_COOLDOWN_MS: '0',
    AUDIT_PENALTY_NANO: '1000',
  });
});
afterEach(async () => {
  await Promise.all(workers.map((w) => w.stop({ graceful: false })));
  await Promise.all(testWorkers.map((w) => w.close()));
  workers = [];
  testWorkers = [];
  await proxy?.close();
});

async function setAsks(ownerId: number, rigId: string, price: bigint) {
  const owner = userClient(proxy, ownerId);
  for (const id of [SUMMARIZER_ID, DEMO_MODEL_ID]) await owner.setAsk(rigId, id, price);
}

/** Past probation: a trusted auditor (audits/trust.ts; bonds are off here). */
async function pastProbation(rigId: string) {
  await db.query('UPDATE rigs SET probation_from = jobs_done - 1000, probation_passes = 3 WHERE id = $1', [
    rigId,
  ]);
}

/** A real worker with the real models, for an owner of its own (past probation). */
async function honestRig(ownerId: number) {
  const { rig, token } = await userClient(proxy, ownerId).registerRig(`honest-${ownerId}`);
  const worker = startWorker({
    proxyUrl: proxy.url,
    token,
    models,
    configDir: path.join(configRoot, `${ownerId}-${Date.now()}`),
    logger: silent,
    slots: 2,
    backoff: { initialMs: 50, maxMs: 200 },
  });
  workers.push(worker);
  expect(await worker.rigId).toBe(rig.id);
  await setAsks(ownerId, rig.id, HONEST_ASK);
  await pastProbation(rig.id);
  return rig.id;
}

/** What the real model gives for a body: the honest output a cheater starts from. */
async function honestOutput(body: JobBody) {
  if (body.kind === 'summarize') {
    const r = await models.get(SUMMARIZER_ID)!.run(body, () => {});
    return { text: r.text, promptTokens: r.promptTokens, completionTokens: r.completionTokens };
  }
  if (body.kind !== 'generate') throw new Error('only generate and summarize here');
  const r = await models.get(DEMO_MODEL_ID)!.run(body, () => {});
  const { text, promptTokens, completionTokens } = r;
  return { text, promptTokens, completionTokens, finishReason: r.finishReason ?? 'stop' };
}

type Cheat =
  | 'junk'
  | 'inflate'
  | 'inflate-slightly'
  | 'two-faced-audit'
  | 'cut-short'
  | 'lying-auditor'
  // Protocol 2 cheaters (results with token ids):
  | 'v2-pad-ids' // three more ids than the model drew, counted: the client sees consistent counts
  | 'v2-other-seed' // another seed's output, ids and all
  | 'v2-edit-text'; // the honest ids, another text

/** The v2 cheats: what the cheater seals with ids, from the honest output of the real model. */
async function v2Cheat(cheat: Cheat, body: JobBody) {
  if (body.kind !== 'generate') throw new Error('v2 cheats here are for generate jobs');
  const model = models.get(DEMO_MODEL_ID)!;
  const seed = cheat === 'v2-other-seed' ? (body.seed ?? 0) + 1 : body.seed;
  const r = await model.run({ ...body, seed }, () => {});
  const honest = { ...r, finishReason: r.finishReason ?? 'stop', tokenIds: r.tokenIds ?? [] };
  if (cheat === 'v2-pad-ids') {
    const tokenIds = [...honest.tokenIds, ...honest.tokenIds.slice(0, 3)];
    return { ...honest, tokenIds, completionTokens: tokenIds.length };
  }
  if (cheat === 'v2-edit-text') return { ...honest, text: `${honest.text} and then some` };
  return honest;
}

/** The protocol-real test worker serving the real model names, with a cheat; it asks less, so it runs jobs. */
async function cheaterRig(ownerId: number, cheat: Cheat, price = CHEAP_ASK) {
  const { rig, token } = await userClient(proxy, ownerId).registerRig(`cheater-${ownerId}`);
  const behaviour: TestWorkerBehaviour =
    cheat === 'two-faced-audit' || cheat === 'lying-auditor' ? cheat : 'ok';
  const w = startTestWorker({
    url: proxy.url,
    token,
    behaviour,
    protocol: cheat.startsWith('v2-') ? 2 : 1,
    models: [
      { id: DEMO_MODEL_ID, kinds: ['generate', 'chat'] },
      { id: SUMMARIZER_ID, kinds: ['summarize'] },
    ],
    output: async (body) => {
      if (cheat.startsWith('v2-')) return v2Cheat(cheat, body);
      const honest = await honestOutput(body);
      if (cheat === 'junk') return { ...honest, text: 'the of and the in was said the of and' };
      // The attack the issue reproduced: a receipt for the whole token budget.
      if (cheat === 'inflate') return { ...honest, completionTokens: body.maxTokens };
      if (cheat === 'inflate-slightly') return { ...honest, completionTokens: honest.completionTokens + 3 };
      if (cheat === 'cut-short') {
        const half = honest.text.split(' ');
        return { ...honest, text: half.slice(0, Math.ceil(half.length / 2)).join(' ') };
      }
      return honest;
    },
  });
  testWorkers.push(w);
  expect(await w.rigId).toBe(rig.id);
  await setAsks(ownerId, rig.id, price);
  return { rigId: rig.id, worker: w };
}

/** Waits until the job's audits are decided (bounded). */
async function auditSettled(jobId: string): Promise<string | null> {
  for (let i = 0; i < 200; i++) {
    const r = await db.query<{ audit_state: string | null }>('SELECT audit_state FROM jobs WHERE id = $1', [
      jobId,
    ]);
    const state = r.rows[0]?.audit_state ?? null;
    if (state !== 'pending' && state !== null) return state;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`the audit of ${jobId} was not decided in 20 s`);
}

async function rigRow(rigId: string) {
  const r = await db.query<{ quarantined_at: Date | null; audits_passed: number; audits_failed: number }>(
    'SELECT quarantined_at, audits_passed, audits_failed FROM rigs WHERE id = $1',
    [rigId],
  );
  return r.rows[0];
}

describe('audits by other rigs', () => {
  it('honest rigs audit each other and pass: paid from the fees, never flagged', async () => {
    const [a, b] = [await honestRig(1001), await honestRig(1002)];
    const user = userClient(proxy, 2001);
    for (const body of [GENERATE, SUMMARIZE, { ...GENERATE, seed: 78 }, { ...GENERATE, temperature: 0 }]) {
      const r = await user.runJob({ model: body.kind === 'summarize' ? SUMMARIZER_ID : DEMO_MODEL_ID, body });
      expect(await auditSettled(r.jobId)).toBe('passed');
    }
    for (const id of [a, b])
      expect(await rigRow(id)).toMatchObject({ quarantined_at: null, audits_failed: 0 });
    expect((await rigRow(a)).audits_passed + (await rigRow(b)).audits_passed).toBe(4);
    const verdicts = await db.query<{ state: string; agreement_ppm: number }>(
      'SELECT state, agreement_ppm FROM audits',
    );
    expect(verdicts.rows.every((v) => v.state === 'pass' && v.agreement_ppm >= 980_000)).toBe(true);
    expect(await ledgerTotals(db)).toEqual({ entries: 0n, balances: 0n });
  });

  it.each<[Cheat, JobBody['kind'], JobBody]>([
    ['junk', 'generate', GENERATE],
    ['junk', 'summarize', SUMMARIZE],
    ['inflate', 'summarize', SUMMARIZE],
    // More completion tokens than the text has bytes: no token split gives that.
    ['inflate', 'generate', GENERATE],
    ['cut-short', 'generate', GENERATE],
    ['two-faced-audit', 'generate', GENERATE],
    // Results with token ids: padded ids are proof now (no 'unable' as for v1's recount).
    ['v2-pad-ids', 'generate', GENERATE],
    ['v2-other-seed', 'generate', GENERATE],
    ['v2-edit-text', 'generate', GENERATE],
  ])(
    'catches a cheater (%s, %s job) two auditors to none: refunded in full, quarantined',
    async (cheat, _kind, body) => {
      await honestRig(1001);
      await honestRig(1002);
      const cheater = await cheaterRig(1003, cheat);
      const user = userClient(proxy, 2001);
      await user.me(); // the account (and its trial credit) exists from the first call
      const before = await spendableNano(db, '2001');
      const model = body.kind === 'summarize' ? SUMMARIZER_ID : DEMO_MODEL_ID;
      const r = await user.runJob({ model, body });
      expect(r.rigId).toBe(cheater.rigId);
      expect(await auditSettled(r.jobId)).toBe('refunded');
      // The user got every nanoTON of the cheated job back.
      expect(await spendableNano(db, '2001')).toBe(before);
      const row = await rigRow(cheater.rigId);
      expect(row.quarantined_at).not.toBeNull();
      const verdicts = await db.query<{ state: string; reason: string }>(
        'SELECT state, reason FROM audits WHERE job_id = $1 ORDER BY round',
        [r.jobId],
      );
      expect(verdicts.rows.map((v) => v.state)).toEqual(['fail', 'fail']);
      expect(verdicts.rows[0].reason).not.toBe('');
      // Quarantined: no more quotes for it; the next job runs on an honest rig and passes.
      const next = await user.runJob({ model, body });
      expect(next.rigId).not.toBe(cheater.rigId);
      expect(await auditSettled(next.jobId)).toBe('passed');
      expect(await ledgerTotals(db)).toEqual({ entries: 0n, balances: 0n });
    },
  );

  it('never convicts on a recount of re-encoded text: a count within one token per byte is left unaudited', async () => {
    // A sampled split need not be the canonical one, so honest auditors can't tell a completion count a few
    // tokens over the canonical one from an honest one until receipts commit to token ids: 'unable'.
    await honestRig(1001);
    await honestRig(1002);
    const cheater = await cheaterRig(1003, 'inflate-slightly');
    const r = await userClient(proxy, 2001).runJob({ model: DEMO_MODEL_ID, body: GENERATE });
    expect(r.rigId).toBe(cheater.rigId);
    const settled = await auditSettled(r.jobId);
    const verdicts = await db.query<{ state: string; reason: string }>(
      'SELECT state, reason FROM audits WHERE job_id = $1 ORDER BY round',
      [r.jobId],
    );
    expect(settled).toBe('unauditable');
    expect(verdicts.rows.map((v) => v.state)).toEqual(['unable', 'unable']);
    expect(verdicts.rows[0].reason).toMatch(/re-encoded/);
    expect((await rigRow(cheater.rigId)).quarantined_at).toBeNull();
    expect(await ledgerTotals(db)).toEqual({ entries: 0n, balances: 0n });
  });

  it("a lying auditor's fail against an honest pass is disputed: nobody quarantined, nothing refunded", async () => {
    const honest = await honestRig(1001);
    await honestRig(1002);
    // The liar asks more, so it audits rather than runs; it stays a candidate (within the hold multiple).
    const liar = await cheaterRig(1003, 'lying-auditor', HONEST_ASK * 2n);
    await pastProbation(liar.rigId);
    const user = userClient(proxy, 2001);
    // The first auditor is drawn among the trusted candidates: run jobs until the liar is drawn.
    let jobId = '';
    for (let i = 0; i < 16 && liar.worker.audits.length === 0; i++) {
      const r = await user.runJob({ model: DEMO_MODEL_ID, body: { ...GENERATE, seed: 100 + i } });
      jobId = r.jobId;
      expect(await auditSettled(r.jobId)).toBe(liar.worker.audits.includes(jobId) ? 'disputed' : 'passed');
    }
    expect(liar.worker.audits).toContain(jobId);
    const verdicts = await db.query<{ state: string; auditor_rig_id: string }>(
      'SELECT state, auditor_rig_id FROM audits WHERE job_id = $1 ORDER BY round',
      [jobId],
    );
    expect(verdicts.rows.map((v) => [v.state, v.auditor_rig_id === liar.rigId])).toEqual([
      ['fail', true],
      ['pass', false],
    ]);
    expect((await rigRow(liar.rigId)).quarantined_at).toBeNull();
    expect(await rigRow(honest)).toMatchObject({ quarantined_at: null, audits_failed: 0 });
    expect(await db.query("SELECT 1 FROM jobs WHERE audit_state = 'refunded'")).toMatchObject({ rows: [] });
    expect(await ledgerTotals(db)).toEqual({ entries: 0n, balances: 0n });
  });
});
