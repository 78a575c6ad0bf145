// Seeded decoding is reproducible across rigs, and a claimed output can be scored in one pass. "Another rig"
// is another process with another onnxruntime thread count, loading the same demo model folder.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoModel } from '../demo-gen/index';
import { type ProbeResponse, runProbe } from './probe-process';
import type { GenerateResult } from './runner';
import { TINY_WORDS, writeTinyModel } from './tiny-model';

const PROMPTS = [
  'The jury said',
  'In the morning the city council',
  'He looked at the house and',
  'The president of the United States',
  'She said that the new school',
  'After the war',
];
/** Sampled jobs (the common case), a greedy one, one with a stop sequence and one cut at the token limit. */
const JOBS = [
  ...PROMPTS.map((prompt, i) => ({ prompt, maxTokens: 48, temperature: 0.8, topP: 0.95, seed: 1000 + i })),
  { prompt: PROMPTS[0], maxTokens: 32, temperature: 0, seed: 0 },
  { prompt: PROMPTS[1], maxTokens: 64, temperature: 1, topP: 1, seed: 7, stop: ['.', ','] },
  { prompt: PROMPTS[2], maxTokens: 6, temperature: 1, topP: 1, topK: 40, seed: 8 },
];

let root: string;
let demoDir: string;
let first: ProbeResponse;
let second: ProbeResponse;
let tinyOutputs: GenerateResult[];

const claim = (job: (typeof JOBS)[number], r: Pick<GenerateResult, 'text' | 'finishReason'>) => ({
  ...job,
  completion: r.text,
  finishReason: r.finishReason,
});

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cocoon-repro-'));
  demoDir = await ensureDemoModel();
  // "Another model": a tiny bigram model whose words the demo model's tokenizer knows.
  const tinyDir = path.join(root, 'tiny-gpt');
  await writeTinyModel(tinyDir);
  const [a, tiny] = await Promise.all([
    runProbe({ dir: demoDir, threads: 1, generate: JOBS }),
    runProbe({ dir: tinyDir, generate: JOBS }),
  ]);
  first = a;
  tinyOutputs = tiny.generated;

  let rng = 12345;
  const randomWords = (n: number) =>
    Array.from({ length: n }, () => {
      rng = (rng * 1103515245 + 12345) % 2 ** 31;
      return ['the', 'of', 'and', 'said', 'house', 'city', 'was', 'in', 'new', 'year', ...TINY_WORDS][
        rng % 22
      ];
    }).join(' ');

  second = await runProbe({
    dir: demoDir,
    threads: 3,
    generate: JOBS,
    score: [
      ...JOBS.map((job, i) => claim(job, first.generated[i])),
      // Outputs of another model, random words, and honest outputs cut short.
      ...JOBS.slice(0, 6).map((job, i) => claim(job, tinyOutputs[i])),
      ...JOBS.slice(0, 6).map((job) => claim(job, { text: randomWords(30), finishReason: 'stop' })),
      ...JOBS.slice(0, 6).map((job, i) => {
        const words = first.generated[i].text.split(' ');
        return claim(job, {
          text: words.slice(0, Math.ceil(words.length / 2)).join(' '),
          finishReason: 'stop',
        });
      }),
    ],
  });
}, 120_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('seeded decoding across processes and thread counts', () => {
  it('gives the same tokens for the same seeded job with 1 and 3 onnxruntime threads', () => {
    expect(second.generated.map((g) => g.text)).toEqual(first.generated.map((g) => g.text));
    expect(second.generated.map((g) => g.completionTokens)).toEqual(
      first.generated.map((g) => g.completionTokens),
    );
    // Not a constant: different seeds gave different outputs, and the outputs are not empty.
    const sampled = first.generated.slice(0, 6).map((g) => g.text);
    expect(new Set(sampled).size).toBe(6);
    expect(sampled.every((t) => t.split(' ').length >= 5)).toBe(true);
    expect(first.generated[7].finishReason).toBe('stop');
    expect(first.generated[8].finishReason).toBe('length');
  });

  it('a different seed gives a different output', async () => {
    const other = await runProbe({ dir: demoDir, generate: [{ ...JOBS[0], seed: 999_999 }] });
    expect(other.generated[0].text).not.toBe(first.generated[0].text);
  });
});

describe('scoring a claimed output in one pass', () => {
  const n = JOBS.length;

  it('scores honest outputs of another process at ≥ 99 % agreement, ending where the model ends', () => {
    for (const s of second.scores.slice(0, n)) {
      expect(s.agreement).toBeGreaterThanOrEqual(0.99);
      expect(s.endAgrees).toBe(true);
    }
  });

  it('recounts the completion tokens with the pinned tokenizer', () => {
    second.scores.slice(0, n).forEach((s, i) => {
      const g = first.generated[i];
      expect(s.promptTokens).toBe(g.promptTokens);
      // The receipt's count includes an end-of-sequence token the text does not show.
      const hidden = g.finishReason === 'stop' ? 1 : 0;
      expect(g.completionTokens - s.completionTokens).toBeGreaterThanOrEqual(0);
      expect(g.completionTokens - s.completionTokens).toBeLessThanOrEqual(hidden);
    });
  });

  it("scores another model's outputs and random words low", () => {
    for (const s of second.scores.slice(n, n + 12)) expect(s.agreement).toBeLessThan(0.5);
  });

  it('catches truncated outputs at their end', () => {
    for (const s of second.scores.slice(n + 12, n + 18)) {
      expect(s.endAgrees).toBe(false);
      expect(s.agreement).toBeLessThan(1);
    }
  });
});
