// Continuous batching on the n-gram models: a job's output is the same alone or in a batch of eight that
// others join and leave mid-run, prompts are prefilled in chunks, and the batch cap and KV budget hold.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentEngineLogger } from '../../engine/logger';
import { ensureDemoModel } from '../demo-gen/index';
import { type CausalLM, type GenerateParams, GenerationAbortedError, loadCausalLM } from './runner';
import { writeTinyModel } from './tiny-model';

let root: string;
let demoDir: string;
let loopDir: string;
const loaded: CausalLM[] = [];

async function load(dir: string, opts: Partial<Parameters<typeof loadCausalLM>[1]> = {}) {
  const lm = await loadCausalLM(dir, { device: 'cpu', logger: silentEngineLogger, ...opts });
  loaded.push(lm);
  return lm;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cocoon-batch-'));
  demoDir = await ensureDemoModel();
  // A model whose greedy path never ends: "the quick the quick …" until the token limit.
  loopDir = path.join(root, 'loop');
  await writeTinyModel(loopDir, { chain: { '<s>': 'the', the: 'quick', quick: 'the' }, contextLength: 4096 });
}, 120_000);

afterAll(async () => {
  for (const lm of loaded) await lm.dispose();
  await rm(root, { recursive: true, force: true });
});

const WORDS =
  'the jury said that the city council was in the new house of the year and he looked at her'.split(' ');
/** Eight jobs: prompts of 1 to 40 words, sampled and greedy, a stop sequence, short and long limits. */
const JOBS: GenerateParams[] = [
  { prompt: 'The', maxTokens: 40, temperature: 0.9, topP: 0.95, seed: 1 },
  { prompt: WORDS.slice(0, 7).join(' '), maxTokens: 3, temperature: 1, topP: 1, seed: 2 },
  { prompt: WORDS.join(' '), maxTokens: 60, temperature: 0, seed: 0 },
  { prompt: [...WORDS, ...WORDS].join(' '), maxTokens: 25, temperature: 1.2, topP: 0.9, topK: 20, seed: 3 },
  { prompt: 'She said that the new school', maxTokens: 50, temperature: 1, topP: 1, seed: 4, stop: ['.'] },
  { prompt: 'After the war', maxTokens: 30, temperature: 0.7, seed: 5 },
  { prompt: 'In the morning', maxTokens: 45, temperature: 0.8, topP: 0.9, seed: 6 },
  { prompt: 'He', maxTokens: 12, temperature: 1, topP: 1, seed: 7 },
  // Done at its first token, right after its prefill, while the others decode.
  { prompt: 'The jury said', maxTokens: 1, temperature: 0.8, seed: 8 },
];

describe('continuous batching on the demo model', () => {
  it('gives every job the same output alone and in a batch of eight that jobs join and leave mid-run', async () => {
    // Prefill in chunks of 4 tokens so the long prompts take several passes between decode steps.
    const lm = await load(demoDir, { maxBatch: 8, prefillChunk: 4 });
    const solo = [];
    for (const job of JOBS) solo.push(await lm.generate(job));
    const stepsBefore = lm.engineStats().steps;

    let widest = 0;
    const watch = () => {
      widest = Math.max(widest, lm.engineStats().decoding);
    };
    // Jobs 0-4 start together; 5-7 join once job 0 has drawn 5 tokens, while the others run.
    let release!: () => void;
    const joined = new Promise<void>((r) => {
      release = r;
    });
    const first = JOBS.slice(0, 5).map((job, i) =>
      lm.generate({
        ...job,
        onProgress: (n) => {
          watch();
          if (i === 0 && n === 5) release();
        },
      }),
    );
    await joined;
    const later = JOBS.slice(5).map((job) => lm.generate({ ...job, onProgress: watch }));
    const batched = await Promise.all([...first, ...later]);

    expect(batched).toEqual(solo);
    // Not a sequence of solo runs: decode steps were shared.
    const tokens = solo.reduce((n, r) => n + r.completionTokens, 0);
    expect(lm.engineStats().steps - stepsBefore).toBeLessThan(tokens);
    expect(widest).toBeGreaterThanOrEqual(6);
    expect(solo.map((r) => r.finishReason)).toContain('length');
    expect(solo[4].finishReason).toBe('stop');
  }, 120_000);

  it('keeps other jobs unchanged when one in the batch is aborted', async () => {
    const lm = await load(demoDir, { maxBatch: 8 });
    const solo = await Promise.all(JOBS.slice(0, 3).map((j) => lm.generate(j)));
    const ac = new AbortController();
    const runs = JOBS.slice(0, 3).map((job, i) =>
      lm.generate({
        ...job,
        ...(i === 2 ? { signal: ac.signal, onProgress: (n: number) => n === 4 && ac.abort() } : {}),
      }),
    );
    const [a, b, c] = await Promise.allSettled(runs);
    expect(a).toEqual({ status: 'fulfilled', value: solo[0] });
    expect(b).toEqual({ status: 'fulfilled', value: solo[1] });
    expect(c.status).toBe('rejected');
    const err = (c as PromiseRejectedResult).reason as GenerationAbortedError;
    expect(err).toBeInstanceOf(GenerationAbortedError);
    expect(err.partial.completionTokens).toBe(4);
  }, 60_000);

  it('decodes no more jobs at once than the batch cap, and fits the KV budget', async () => {
    const capped = await load(demoDir, { maxBatch: 3 });
    // Room for one to a dozen of these jobs at a time, depending on their sizes (prompt + limit: 4 to 81 tokens).
    const budgeted = await load(demoDir, { maxBatch: 8, kvBudgetTokens: 160 });
    const expected = await Promise.all(JOBS.map((j) => capped.generate(j)));
    for (const [lm, most] of [
      [capped, 3],
      [budgeted, JOBS.length - 1],
    ] as const) {
      let widest = 0;
      const watch = () => {
        const s = lm.engineStats();
        widest = Math.max(widest, s.decoding + s.prefilling);
        expect(s.kvTokensAllocated).toBeLessThanOrEqual(lm === budgeted ? 160 : Number.POSITIVE_INFINITY);
      };
      const out = await Promise.all(JOBS.map((j) => lm.generate({ ...j, onProgress: watch })));
      expect(out).toEqual(expected);
      expect(widest).toBeLessThanOrEqual(most);
      expect(widest).toBeGreaterThanOrEqual(2);
    }
  }, 120_000);
});

describe('scoring beside generation', () => {
  it('scores while a long generation runs, with the same result as alone', async () => {
    const lm = await load(loopDir, { maxBatch: 4, prefillChunk: 8 });
    const claim = await lm.generate({ prompt: 'the', maxTokens: 30, temperature: 0 });
    expect(claim.text.startsWith('quick the quick')).toBe(true);
    const scoreParams = {
      prompt: 'the',
      completion: claim.text,
      finishReason: claim.finishReason,
      maxTokens: 30,
      temperature: 0,
    };
    const alone = await lm.score(scoreParams);
    expect(alone.agreement).toBe(1);

    const ac = new AbortController();
    let generated = 0;
    let scoredAt = -1;
    const long = lm.generate({
      prompt: 'quick',
      maxTokens: 3000,
      temperature: 0,
      signal: ac.signal,
      onProgress: (n) => {
        generated = n;
        if (n === 20) {
          void lm.score(scoreParams).then((s) => {
            expect(s).toEqual(alone);
            scoredAt = generated;
            ac.abort();
          });
        }
      },
    });
    await expect(long).rejects.toBeInstanceOf(GenerationAbortedError);
    // The score came back a few steps after it was asked, not after the 3,000-token job.
    expect(scoredAt).toBeGreaterThanOrEqual(20);
    expect(scoredAt).toBeLessThan(200);
  }, 60_000);
});
