// The plaintext job body's limits (shared's JOB_LIMITS, one set for the client, the quote and the rig), end to
// end through the real proxy and the real worker: a body at every limit at once runs and settles, and a body
// one past any of them is refused with a message that names the field (the quote for maxTokens, which the
// proxy sees; the rig that opens the sealed body for the rest, which only it sees).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Db, ProxyServer } from '@cocoon/proxy';
import { openTestDb, resetDb, startTestProxy, userClient } from '@cocoon/proxy/testing';
import { ApiError, JOB_LIMITS, type JobBody, MAX_TOKENS } from '@cocoon/shared';
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

const silent = createLogger(process.env.DEBUG_LIMITS ? 'debug' : 'silent');
let db: Db;
let proxy: ProxyServer;
let models: Map<string, Model>;
let configRoot: string;
let worker: WorkerHandle | undefined;

beforeAll(async () => {
  configRoot = mkdtempSync(path.join(tmpdir(), 'cocoon-body-limits-'));
  [db, models] = await Promise.all([openTestDb(), loadModels({ device: 'cpu', logger: silent })]);
});
afterAll(async () => {
  for (const m of models?.values() ?? []) await m.dispose();
  await db?.close();
  rmSync(configRoot, { recursive: true, force: true });
});
beforeEach(async () => {
  await resetDb(db);
  // The default heartbeat: the extractive summary of the most messages a body may carry keeps the worker's
  // event loop busy for seconds on a loaded CPU, past the 3 s of silence a 1 s heartbeat allows.
  proxy = await startTestProxy(db);
  const owner = userClient(proxy, 1001);
  const { rig, token } = await owner.registerRig('rig-limits');
  worker = startWorker({
    proxyUrl: proxy.url,
    token,
    models,
    configDir: path.join(configRoot, String(Date.now())),
    logger: silent,
    slots: 2,
    backoff: { initialMs: 50, maxMs: 200 },
  });
  expect(await worker.rigId).toBe(rig.id);
  // Cheap enough that the trial credit holds a quote of MAX_TOKENS.
  for (const id of [SUMMARIZER_ID, DEMO_MODEL_ID]) await owner.setAsk(rig.id, id, 1_000_000n);
});
afterEach(async () => {
  await worker?.stop({ graceful: false });
  worker = undefined;
  await proxy?.close();
});

/** The longest stop sequences, as many as a body may carry; text the demo model can't produce. */
const longestStops = (n: number, chars: number = JOB_LIMITS.stopChars) =>
  Array.from({ length: n }, (_, i) => `${'§'.repeat(chars - 1)}${i}`);
const atMostGenerate: JobBody = {
  kind: 'generate',
  prompt: 'The old man walked to the church and said',
  maxTokens: MAX_TOKENS,
  temperature: JOB_LIMITS.temperature,
  topK: JOB_LIMITS.topK,
  topP: 1,
  seed: Number.MAX_SAFE_INTEGER,
  stop: longestStops(JOB_LIMITS.stopSequences),
};
const chatOf = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ author: `u${i % 7}`, text: `item ${i} is ready`, id: i + 1 }));
const atMostSummarize: JobBody = {
  kind: 'summarize',
  messages: chatOf(JOB_LIMITS.summarizeMessages),
  maxTokens: 60,
};

describe("the job body's limits, end to end", () => {
  it('runs a body at every limit: MAX_TOKENS, the hottest sampling, the most and longest stops', async () => {
    const user = userClient(proxy, 2001);
    const gen = await user.runJob({ model: DEMO_MODEL_ID, body: atMostGenerate });
    // An end-of-sequence token or the model's context ends it long before MAX_TOKENS.
    expect(gen.completionTokens).toBeGreaterThan(0);
    expect(gen.completionTokens).toBeLessThan(models.get(DEMO_MODEL_ID)?.contextLength ?? 0);
    expect(await user.job(gen.jobId)).toMatchObject({ state: 'done' });
  });

  it('runs a summary of the most messages a body may carry', async () => {
    const user = userClient(proxy, 2002);
    const summary = await user.runJob({ model: SUMMARIZER_ID, body: atMostSummarize });
    expect(summary.text.length).toBeGreaterThan(0);
    expect(summary.completionTokens).toBeLessThanOrEqual(60);
    expect(await user.job(summary.jobId)).toMatchObject({ state: 'done' });
  });

  it('refuses a quote for one token past MAX_TOKENS, naming maxTokens', async () => {
    const user = userClient(proxy, 2003);
    const err = await user
      .runJob({ model: DEMO_MODEL_ID, body: { ...atMostGenerate, maxTokens: MAX_TOKENS + 1 } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).message).toMatch(/maxTokens/);
  });

  // Past these only the rig sees it: the proxy quotes the job, and the rig that opens the body refuses it.
  const pastOne: Array<[string, string, JobBody]> = [
    ['temperature', 'temperature', { ...atMostGenerate, temperature: JOB_LIMITS.temperature + 0.01 }],
    ['topK', 'topK', { ...atMostGenerate, topK: JOB_LIMITS.topK + 1 }],
    ['stop sequences', 'stop', { ...atMostGenerate, stop: longestStops(JOB_LIMITS.stopSequences + 1) }],
    [
      'stop length',
      'stop.0',
      { ...atMostGenerate, stop: longestStops(JOB_LIMITS.stopSequences, JOB_LIMITS.stopChars + 1) },
    ],
    [
      'summary messages',
      'messages',
      { ...atMostSummarize, messages: chatOf(JOB_LIMITS.summarizeMessages + 1) } as JobBody,
    ],
  ];
  it.each(pastOne)('refuses one past the most %s, naming %s', async (_what, field, body) => {
    const user = userClient(proxy, 2004);
    const model = body.kind === 'summarize' ? SUMMARIZER_ID : DEMO_MODEL_ID;
    const err = await user.runJob({ model, body }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('job_failed');
    const escaped = field.replace('.', '\\.');
    expect((err as ApiError).message).toMatch(new RegExp(`job body is malformed: ${escaped}: `));
  });
});
