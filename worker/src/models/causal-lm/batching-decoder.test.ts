// Continuous batching on real decoders (random-weight Qwen2 and Llama in the Optimum layout): rotary positions,
// grouped-query attention and padding masks per row. A job's tokens are the same alone and in a batch of eight
// with other prompt lengths and seeds, jobs joining and leaving mid-run, and prompts prefilled in chunks.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentEngineLogger } from '../../engine/logger';
import { type CausalLM, type GenerateParams, type GenerateResult, loadCausalLM } from './runner';
import { type TestDecoderSpec, TINY_LLAMA, TINY_QWEN2, writeTestDecoder } from './test-decoder/index';

let root: string;
const loaded: CausalLM[] = [];

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cocoon-batch-decoder-'));
});

afterAll(async () => {
  for (const lm of loaded) await lm.dispose();
  await rm(root, { recursive: true, force: true });
});

const TEXT =
  'The committee met in the morning to discuss the new school budget, and after a long debate the members agreed ' +
  'that the city would pay for two more teachers, a library and repairs to the old gymnasium roof before winter.';

/** Eight jobs: prompts of a few to ~100 tokens, sampled and greedy, short and long limits. */
function jobs(lm: CausalLM): GenerateParams[] {
  const chat = lm.formatChat([{ role: 'user', content: 'Tell me about the school.' }]);
  return [
    { prompt: 'The', maxTokens: 40, temperature: 0.9, topP: 0.95, seed: 1 },
    { prompt: TEXT.slice(0, 40), maxTokens: 3, temperature: 1, topP: 1, seed: 2 },
    { prompt: TEXT, maxTokens: 48, temperature: 0, seed: 0 },
    { prompt: `${TEXT} ${TEXT}`, maxTokens: 25, temperature: 1.2, topP: 0.9, topK: 20, seed: 3 },
    { prompt: chat, maxTokens: 36, temperature: 0.7, seed: 4 },
    { prompt: 'After the war', maxTokens: 30, temperature: 0, seed: 5 },
    { prompt: TEXT.slice(0, 90), maxTokens: 45, temperature: 0.8, topP: 0.9, seed: 6 },
    { prompt: 'He', maxTokens: 12, temperature: 1, topP: 1, seed: 7 },
  ];
}

/** Runs jobs 0-4 together and 5-7 once job 0 has drawn 5 tokens; returns the results in job order. */
async function batchWithJoins(
  lm: CausalLM,
  js: GenerateParams[],
): Promise<{ out: GenerateResult[]; widest: number }> {
  let widest = 0;
  const watch = () => {
    widest = Math.max(widest, lm.engineStats().decoding);
  };
  let release!: () => void;
  const joined = new Promise<void>((r) => {
    release = r;
  });
  const first = js.slice(0, 5).map((job, i) =>
    lm.generate({
      ...job,
      onProgress: (n) => {
        watch();
        if (i === 0 && n === 5) release();
      },
    }),
  );
  await joined;
  const later = js.slice(5).map((job) => lm.generate({ ...job, onProgress: watch }));
  return { out: await Promise.all([...first, ...later]), widest };
}

describe.each([
  ['tiny Qwen2', TINY_QWEN2],
  ['tiny Llama', TINY_LLAMA],
] as [string, TestDecoderSpec][])('continuous batching on the %s test decoder', (name, spec) => {
  it('gives every job the same tokens alone and in a batch of eight that jobs join and leave', async () => {
    const info = await writeTestDecoder(path.join(root, name.replace(' ', '-')), spec);
    // Chunks of 16 tokens: the long prompts are prefilled in several passes between decode steps.
    const lm = await loadCausalLM(info.dir, {
      device: 'cpu',
      logger: silentEngineLogger,
      maxBatch: 8,
      prefillChunk: 16,
    });
    loaded.push(lm);
    const js = jobs(lm);
    const solo: GenerateResult[] = [];
    for (const job of js) solo.push(await lm.generate(job));
    expect(Math.max(...solo.map((r) => r.promptTokens))).toBeGreaterThan(48);

    const { out, widest } = await batchWithJoins(lm, js);
    expect(out).toEqual(solo);
    expect(widest).toBeGreaterThanOrEqual(6);

    // Scoring shares the loop: a score asked while jobs decode equals the same score alone. (Whether a
    // sampled BPE output scores high is the token-ids audit's matter: re-encoding its text may split it
    // differently.)
    const claims = js
      .slice(0, 4)
      .map((job, i) => ({ ...job, completion: out[i].text, finishReason: out[i].finishReason }));
    const alone = [];
    for (const c of claims) alone.push(await lm.score(c));
    const [beside] = await Promise.all([
      Promise.all(claims.map((c) => lm.score(c))),
      ...js.slice(4).map((j) => lm.generate(j)),
    ]);
    expect(beside).toEqual(alone);
  }, 120_000);
});

describe('a dynamically quantized (q8) test decoder', () => {
  it('decodes one job at a time, so its jobs still come out as they do alone', async () => {
    const info = await writeTestDecoder(path.join(root, 'tiny-qwen2-q8'), { ...TINY_QWEN2, dtypes: ['q8'] });
    const lm = await loadCausalLM(info.dir, { device: 'cpu', logger: silentEngineLogger, maxBatch: 8 });
    loaded.push(lm);
    expect(lm.dtype).toBe('q8');
    const js = jobs(lm);
    const solo: GenerateResult[] = [];
    for (const job of js) solo.push(await lm.generate(job));
    const { out, widest } = await batchWithJoins(lm, js);
    expect(out).toEqual(solo);
    expect(widest).toBe(1);
  }, 120_000);
});
