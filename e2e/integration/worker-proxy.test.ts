// The real worker (connection, job runner, onnxruntime models on CPU) against the real proxy: sealed jobs
// from quote to settlement, token counts checked against the models' own counters, exact balances,
// failover from a worker killed mid-job, reconnection, and a revoked token.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { balanceOf, type Db, ledgerTotals, type ProxyServer, SYSTEM } from '@cocoon/proxy';
import { openTestDb, resetDb, spendableNano, startTestProxy, userClient } from '@cocoon/proxy/testing';
import { chargeFor } from '@cocoon/shared';
import { createLogger } from '@cocoon/shared/node';
import {
  countTokens,
  DEMO_MODEL_ID,
  loadModels,
  type Model,
  prepareSentences,
  SUMMARIZER_ID,
  startWorker,
  type WorkerHandle,
} from '@cocoon/worker';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const DEMO_DIR = path.resolve(import.meta.dirname, '../../worker/models/demo-gen');
const silent = createLogger('silent');
const CHAT = [
  { author: 'ann', text: 'We need to pick a venue for the team dinner next week.' },
  { author: 'bo', text: 'ok' },
  { author: 'cy', text: 'Luigi has a private room for twelve people and takes bookings online.' },
  { author: 'ann', text: 'Decision: the team dinner is at Luigi on Friday at 7pm, I will book it today.' },
  { author: 'bo', text: 'Great, I will tell the others and collect the dietary needs by Wednesday.' },
];

let db: Db;
let proxy: ProxyServer;
let models: Map<string, Model>;
let configRoot: string;
let workers: WorkerHandle[] = [];
let demoTokenizer: PreTrainedTokenizer;

beforeAll(async () => {
  configRoot = mkdtempSync(path.join(tmpdir(), 'cocoon-worker-e2e-'));
  // One model load shared by every worker in this file; the device is forced to CPU.
  [db, models] = await Promise.all([openTestDb(), loadModels({ device: 'cpu', logger: silent })]);
  // demo-gen's tokenizer, loaded on its own from the folder's files, to count tokens independently.
  const read = (f: string) => JSON.parse(readFileSync(path.join(DEMO_DIR, f), 'utf8'));
  demoTokenizer = new PreTrainedTokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
});
afterAll(async () => {
  for (const m of models?.values() ?? []) await m.dispose();
  await db?.close();
  rmSync(configRoot, { recursive: true, force: true });
});
beforeEach(async () => {
  await resetDb(db);
  proxy = await startTestProxy(db, { LEASE_MS: '10000', HEARTBEAT_MS: '1000' });
});
afterEach(async () => {
  await Promise.all(workers.map((w) => w.stop({ graceful: false })));
  workers = [];
  await proxy?.close();
});

async function rig(
  ownerId: number,
  opts: { models?: Map<string, Model>; price?: bigint; slots?: number } = {},
) {
  const owner = userClient(proxy, ownerId);
  const { rig: view, token } = await owner.registerRig(`rig-${ownerId}`);
  const worker = startWorker({
    proxyUrl: proxy.url,
    token,
    models: opts.models ?? models,
    configDir: path.join(configRoot, `${ownerId}-${Date.now()}`),
    logger: silent,
    slots: opts.slots ?? 2,
    backoff: { initialMs: 50, maxMs: 200 },
  });
  workers.push(worker);
  expect(await worker.rigId).toBe(view.id);
  const price = opts.price ?? 2_000_000n;
  for (const id of [SUMMARIZER_ID, DEMO_MODEL_ID]) await owner.setAsk(view.id, id, price);
  return { id: view.id, owner, worker, price, ownerId };
}

const trial = () => proxy.ctx.config.TRIAL_CREDIT_NANO;
const feeBps = () => proxy.ctx.config.FEE_BPS;

describe('the real worker behind the real proxy', () => {
  it('summarizes and generates from quote to settlement, with exact token counts and balances', async () => {
    const r = await rig(1001);
    const listed = (await r.owner.rigs()).rigs[0];
    // The device the rig reports is what its models really run on (CPU here, forced).
    expect(listed).toMatchObject({ id: r.id, online: true, device: 'cpu' });
    expect(
      (await proxy.ctx.db.query('SELECT model FROM rig_models ORDER BY model')).rows.map((x) => x.model),
    ).toEqual([DEMO_MODEL_ID, SUMMARIZER_ID].sort());

    const user = userClient(proxy, 2001);
    const deltas: string[] = [];
    const summary = await user.runJob({
      model: SUMMARIZER_ID,
      body: { kind: 'summarize', messages: CHAT, maxTokens: 60 },
      onDelta: (d) => deltas.push(d),
    });
    expect(deltas.join('')).toBe(summary.text);
    const lines = summary.text.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    // Extractive: every line is "author: sentence" with the sentence taken from that author's message.
    for (const line of lines) {
      const [author, ...rest] = line.split(': ');
      expect(CHAT.some((m) => m.author === author && m.text.includes(rest.join(': ')))).toBe(true);
    }
    expect(summary.text).toContain('Luigi on Friday');
    const sumPrompt = prepareSentences(CHAT).reduce((n, s) => n + s.tokenCount + (s.author ? 2 : 0), 0);
    expect(summary).toMatchObject({ promptTokens: sumPrompt, completionTokens: countTokens(summary.text) });

    const prompt = 'The old man walked to the church and said';
    const gen = await user.runJob({
      model: DEMO_MODEL_ID,
      body: { kind: 'generate', prompt, maxTokens: 10, temperature: 0 },
    });
    const words = gen.text.match(/[A-Za-z]+/g) ?? [];
    expect(words.length).toBeGreaterThanOrEqual(3);
    const ids = demoTokenizer.encode(gen.text, { add_special_tokens: false });
    // Every generated word is in the Brown-corpus vocabulary: no unknown tokens.
    expect(ids).not.toContain(demoTokenizer.convert_tokens_to_ids('[UNK]'));
    expect(gen.finishReason).toBe('length');
    expect(gen.promptTokens).toBe(demoTokenizer.encode(prompt).length);
    expect(gen.completionTokens).toBe(ids.length);

    // Settlement: the user pays tokens × ask + fee per job; the owner gets tokens × ask.
    const charges = [summary, gen].map((j) =>
      chargeFor(j.promptTokens + j.completionTokens, r.price, feeBps()),
    );
    expect([summary.costNano, gen.costNano]).toEqual(charges.map((c) => c.totalNano));
    for (const [j, c] of [summary, gen].map((j, i) => [j, charges[i]] as const)) {
      expect(await user.job(j.jobId)).toMatchObject({
        state: 'done',
        attempts: 1,
        promptTokens: j.promptTokens,
        completionTokens: j.completionTokens,
        costNano: c.totalNano.toString(),
      });
    }
    const sum = (k: 'rigNano' | 'feeNano' | 'totalNano') => charges.reduce((n, c) => n + c[k], 0n);
    expect(BigInt((await user.me()).balanceNano)).toBe(trial() - sum('totalNano'));
    expect(await spendableNano(db, '1001')).toBe(trial() + sum('rigNano'));
    expect(await balanceOf(db, SYSTEM.fees)).toBe(sum('feeNano'));
    expect(await ledgerTotals(db)).toEqual({ entries: 0n, balances: 0n });
    expect(r.worker.stats()).toMatchObject({ state: 'connected', jobsDone: 2, jobsFailed: 0, running: 0 });
    expect(r.worker.stats().tokensPerSecond).toBeGreaterThan(0);
  });

  it("samples with the client's sealed seed: same seed, same text; the text scores as honest", async () => {
    await rig(1001);
    const user = userClient(proxy, 2001);
    const prompt = 'The old man walked to the church and said';
    const body = {
      kind: 'generate',
      prompt,
      maxTokens: 24,
      temperature: 0.9,
      topP: 0.95,
      seed: 4242,
    } as const;
    const a = await user.runJob({ model: DEMO_MODEL_ID, body });
    const b = await user.runJob({ model: DEMO_MODEL_ID, body });
    const c = await user.runJob({ model: DEMO_MODEL_ID, body: { ...body, seed: 4243 } });
    expect(b.text).toBe(a.text);
    expect(c.text).not.toBe(a.text);
    // What an auditing rig would do: one scoring pass over the prompt and the claimed text.
    const demo = models.get(DEMO_MODEL_ID)!;
    const honest = await demo.score!(body, { text: a.text, finishReason: a.finishReason });
    expect(honest.agreement).toBeGreaterThanOrEqual(0.99);
    const swapped = await demo.score!(body, { text: c.text, finishReason: c.finishReason });
    expect(swapped.agreement).toBeLessThan(0.5);
  });

  it('runs 8 jobs at once on a rig with 8 slots, decoded in one batch, each as it comes out alone', async () => {
    await rig(1001, { slots: 8 });
    const bodies = Array.from({ length: 8 }, (_, i) => ({
      kind: 'generate' as const,
      prompt: ['The old man walked to the church and said', 'After the war', 'She said that'][i % 3],
      maxTokens: 12 + 4 * i,
      temperature: 0.9,
      topP: 0.95,
      seed: 5000 + i,
    }));
    const demo = models.get(DEMO_MODEL_ID)!;
    const alone = [];
    for (const body of bodies) alone.push((await demo.run(body, () => {})).text);
    const users = bodies.map((_, i) => userClient(proxy, 3001 + i));
    const jobs = await Promise.all(bodies.map((body, i) => users[i].runJob({ model: DEMO_MODEL_ID, body })));
    expect(jobs.map((j) => j.text)).toEqual(alone);
    for (const [i, j] of jobs.entries()) expect(await users[i].job(j.jobId)).toMatchObject({ state: 'done' });
  });

  it('fails a job over to a second worker when the first is killed mid-job, and settles it once', async () => {
    // The first rig's demo-gen takes the job and holds it until its worker dies, so the kill is mid-job.
    let started!: () => void;
    const jobStarted = new Promise<void>((res) => (started = res));
    const realDemo = models.get(DEMO_MODEL_ID)!;
    const held: Model = {
      ...realDemo,
      run: (_job, _onDelta, signal) =>
        new Promise((_res, rej) => {
          started();
          signal?.addEventListener('abort', () => rej(signal.reason), { once: true });
        }),
    };
    const doomed = await rig(1001, {
      models: new Map([...models, [DEMO_MODEL_ID, held]]),
      price: 1_000_000n,
    });
    const good = await rig(1002, { price: 3_000_000n });

    const user = userClient(proxy, 2001);
    const prompt = 'It was a long day at the office and';
    const running = user.runJob({
      model: DEMO_MODEL_ID,
      body: { kind: 'generate', prompt, maxTokens: 8, temperature: 0 },
    });
    await jobStarted;
    expect(doomed.worker.stats().running).toBe(1);
    await doomed.worker.stop({ graceful: false });
    const res = await running;

    expect(res.rigId).toBe(good.id);
    expect(res.text.length).toBeGreaterThan(0);
    expect(await user.job(res.jobId)).toMatchObject({ state: 'done', attempts: 2 });
    const charge = chargeFor(res.promptTokens + res.completionTokens, good.price, feeBps());
    expect(res.costNano).toBe(charge.totalNano);
    expect(BigInt((await user.me()).balanceNano)).toBe(trial() - charge.totalNano);
    expect(await spendableNano(db, '1002')).toBe(trial() + charge.rigNano);
    expect(await spendableNano(db, '1001')).toBe(trial());
    const settles = await db.query("SELECT count(*)::int AS n FROM ledger_tx WHERE kind = 'settle'");
    expect(settles.rows[0].n).toBe(1);
    expect(await ledgerTotals(db)).toEqual({ entries: 0n, balances: 0n });
    expect(doomed.worker.stats()).toMatchObject({ state: 'stopped', jobsDone: 0 });
    expect(good.worker.stats().jobsDone).toBe(1);
  });

  it('on stop, takes no new jobs but finishes the running one before it closes', async () => {
    let started!: () => void;
    let release!: () => void;
    const jobStarted = new Promise<void>((res) => (started = res));
    const gate = new Promise<void>((res) => (release = res));
    const realDemo = models.get(DEMO_MODEL_ID)!;
    const gated: Model = {
      ...realDemo,
      run: async (job, onDelta, signal) => {
        started();
        await gate;
        return realDemo.run(job, onDelta, signal);
      },
    };
    const r = await rig(1001, { models: new Map([...models, [DEMO_MODEL_ID, gated]]) });
    const user = userClient(proxy, 2001);
    const running = user.runJob({
      model: DEMO_MODEL_ID,
      body: { kind: 'generate', prompt: 'She opened the door and', maxTokens: 6, temperature: 0 },
    });
    await jobStarted;
    const stopping = r.worker.stop({ drainMs: 60_000 });
    expect(r.worker.stats().state).toBe('draining');
    release();
    const res = await running;
    await stopping;
    expect(res.rigId).toBe(r.id);
    expect(await user.job(res.jobId)).toMatchObject({ state: 'done', attempts: 1 });
    expect(r.worker.stats()).toMatchObject({ state: 'stopped', jobsDone: 1, running: 0 });
    // The proxy marks the rig offline when it sees the socket close, a moment after the worker stopped.
    await expect.poll(async () => (await r.owner.rigs()).rigs[0].online).toBe(false);
  });

  it('reconnects after the proxy drops it, and keeps serving', async () => {
    const r = await rig(1001);
    proxy.ctx.workers.get(r.id)?.close(1012, 'proxy restarting');
    const user = userClient(proxy, 2001);
    // Bounded wait for the reconnect (backoff is at most 200 ms here).
    for (
      let i = 0;
      i < 100 && !(r.worker.stats().reconnects === 1 && r.worker.stats().state === 'connected');
      i++
    ) {
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(r.worker.stats()).toMatchObject({ reconnects: 1, state: 'connected' });
    for (let i = 0; i < 100 && !proxy.ctx.workers.get(r.id); i++)
      await new Promise((res) => setTimeout(res, 50));
    const res = await user.runJob({
      model: SUMMARIZER_ID,
      body: { kind: 'summarize', messages: CHAT, maxTokens: 40 },
    });
    expect(res.rigId).toBe(r.id);
  });

  it('stops for good with a clear message when its token is revoked', async () => {
    const owner = userClient(proxy, 1001);
    const { rig: view, token } = await owner.registerRig('revoked');
    await owner.revokeRig(view.id);
    const worker = startWorker({
      proxyUrl: proxy.url,
      token,
      models,
      configDir: path.join(configRoot, 'revoked'),
      logger: silent,
    });
    workers.push(worker);
    await expect(worker.closed).rejects.toThrow(/refused the rig token \(unknown or revoked\)/);
    await expect(worker.rigId).rejects.toThrow(/refused the rig token/);
    expect(worker.stats()).toMatchObject({ state: 'stopped', reconnects: 0 });
  });
});
