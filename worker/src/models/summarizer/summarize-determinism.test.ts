// The summarizer must pick the same sentences on every rig: whatever onnxruntime's thread count or
// device, float noise in the ranking scores must not change the selection.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { silentEngineLogger } from '../../engine/logger';
import { defaultSessionFactory } from '../../engine/ort-session';
import { DETERMINISM_FIXTURES, type SelectionDigest } from './determinism-fixtures';
import { createOnnxRanker, rankSessionOptions } from './rank-onnx';
import { rankReference } from './rank-reference';
import {
  FLOOR_STEPS,
  quantizeScore,
  rankOrder,
  SCORE_GRID_STEPS,
  type SelectionInput,
  selectSentences,
  shareTiedScores,
  tieKey,
} from './rank-select';
import { createSummarizer, type SummaryResult, sentencePrior, summarizeWith } from './summarize';
import { prepareSentences } from './text-prep';
import { buildTfidf } from './tfidf';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../../..');
const probe = path.join(here, 'determinism-probe.ts');

function digestOf(r: SummaryResult): SelectionDigest {
  return { picks: r.sentences.map((s) => ({ sentenceIndex: s.sentenceIndex, text: s.text })), text: r.text };
}

/** Seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('summary selection across onnxruntime thread counts', () => {
  it('picks the same sentences with 1, 2 and 4 threads, each in its own process', async () => {
    const runs = await Promise.all(
      [1, 2, 4].map(async (threads) => {
        const { stdout } = await run(process.execPath, ['--import', 'tsx', probe, String(threads)], {
          cwd: repoRoot,
          timeout: 120_000,
          maxBuffer: 16 * 1024 * 1024,
        });
        return JSON.parse(stdout) as {
          threads: number;
          provider: string;
          selections: Record<string, SelectionDigest>;
        };
      }),
    );
    expect(runs.map((r) => [r.threads, r.provider])).toEqual([
      [1, 'cpu'],
      [2, 'cpu'],
      [4, 'cpu'],
    ]);
    expect(Object.keys(runs[0].selections)).toEqual(Object.keys(DETERMINISM_FIXTURES));
    for (const name of Object.keys(DETERMINISM_FIXTURES)) {
      expect(runs[0].selections[name].picks.length, name).toBeGreaterThan(0);
      expect(runs[1].selections[name], `${name}: 2 threads vs 1`).toEqual(runs[0].selections[name]);
      expect(runs[2].selections[name], `${name}: 4 threads vs 1`).toEqual(runs[0].selections[name]);
    }
    // The symmetric ring: every score ties, so position decides (the near-duplicate rule skips
    // each next sentence, which shares two of its three words with the one before).
    expect(runs[0].selections.ring.picks.map((p) => p.sentenceIndex)).toEqual([0, 2, 4, 6]);
    expect(runs[0].selections['ring, one pick'].picks.map((p) => p.sentenceIndex)).toEqual([0]);
  });

  it('picks the same sentences from float32 ONNX scores as from the float64 reference (another "device")', async () => {
    const summarizer = await createSummarizer({ device: 'cpu', threads: 1, logger: silentEngineLogger });
    try {
      for (const [name, { messages, options }] of Object.entries(DETERMINISM_FIXTURES)) {
        const onnx = await summarizer.summarize(messages, options);
        const reference = await summarizeWith(
          async (input) => rankReference(input).scores,
          messages,
          options,
        );
        expect(digestOf(reference), name).toEqual(digestOf(onnx));
        // Reported scores are the quantized ones, so they match too.
        expect(
          reference.sentences.map((s) => s.score),
          name,
        ).toEqual(onnx.sentences.map((s) => s.score));
      }
    } finally {
      await summarizer.release();
    }
  });
});

describe('ranking graph arithmetic', () => {
  it('computes in float64: scores are the float64 reference rounded to float32 (no TF32, no drift)', async () => {
    const ranker = await createOnnxRanker({ device: 'cpu', logger: silentEngineLogger });
    try {
      for (const [name, { messages }] of Object.entries(DETERMINISM_FIXTURES)) {
        const sentences = prepareSentences(messages);
        const m = buildTfidf(sentences.map((s) => s.terms));
        const input = {
          n: m.n,
          v: m.v,
          tfidf: m.tfidf,
          residualSq: m.residualSq,
          prior: sentencePrior(sentences),
        };
        const ref = rankReference(input).scores;
        const { scores } = await ranker.rank(input);
        // One float32 rounding (2^-24 relative), where a float32 graph is off by ~1e-6.
        for (let i = 0; i < m.n; i++)
          expect(Math.abs(scores[i] - ref[i]), name).toBeLessThanOrEqual(ref[i] * 2 ** -23);
      }
    } finally {
      await ranker.release();
    }
  });
});

describe('thread option', () => {
  it('becomes intraOpNumThreads (inter-op 1) in the session options', async () => {
    expect(rankSessionOptions(undefined)).toEqual({ graphOptimizationLevel: 'basic' });
    expect(rankSessionOptions(3)).toEqual({
      graphOptimizationLevel: 'basic',
      intraOpNumThreads: 3,
      interOpNumThreads: 1,
    });
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => rankSessionOptions(bad)).toThrow(RangeError);

    const seen: ort.InferenceSession.SessionOptions[] = [];
    const summarizer = await createSummarizer({
      device: 'cpu',
      threads: 2,
      logger: silentEngineLogger,
      factory: (model, options) => {
        seen.push(options);
        return defaultSessionFactory(model, options);
      },
    });
    await summarizer.release();
    expect(seen).toEqual([
      {
        graphOptimizationLevel: 'basic',
        intraOpNumThreads: 2,
        interOpNumThreads: 1,
        executionProviders: ['cpu'],
      },
    ]);
  });
});

describe('selectSentences: integer comparisons on a score grid', () => {
  const base = (scores: number[], over: Partial<SelectionInput> = {}): SelectionInput => ({
    scores,
    substantive: scores.map(() => true),
    k: 3,
    cost: () => 1,
    isNearDuplicate: () => false,
    ...over,
  });

  it('breaks ties by position: of two identical sentences, the earlier is chosen', async () => {
    const messages = [
      { author: 'a', text: 'Apples are cheaper at the market.' },
      { author: 'b', text: 'The train leaves at noon tomorrow.' },
      { author: 'c', text: 'Bananas grow on tall plants.' },
      { author: 'd', text: 'The train leaves at noon tomorrow.' },
    ];
    const summarizer = await createSummarizer({ device: 'cpu', logger: silentEngineLogger });
    try {
      for (const options of [{ maxSentences: 1 }, { maxSentences: 3, ratio: 1 }]) {
        const r = await summarizer.summarize(messages, options);
        // The copy at 3 is the same sentence as 1 (so it ties 1 exactly): never the one kept.
        expect(r.sentences.map((s) => s.sentenceIndex)).toContain(1);
        expect(r.sentences.map((s) => s.sentenceIndex)).not.toContain(3);
      }
      const one = await summarizer.summarize(messages, { maxSentences: 1 });
      expect(one.sentences.map((s) => s.sentenceIndex)).toEqual([1]);
    } finally {
      await summarizer.release();
    }
    // Pure: equal scores keep sentence order; the near-duplicate rule then drops the later copy.
    const picked = selectSentences(
      base([0.25, 0.25, 0.25, 0.25], { k: 2, isNearDuplicate: (i, j) => (i ^ j) === 3 }),
    ).picked;
    expect(picked).toEqual([0, 1]);
  });

  it('rounds scores × n to 1/SCORE_GRID_STEPS and applies the 0.5/n floor on the grid', () => {
    expect(SCORE_GRID_STEPS).toBe(1000);
    expect(quantizeScore(0.1, 10)).toBe(1000);
    expect(quantizeScore(0.1 * (1 + 1e-7), 10)).toBe(1000);
    expect(quantizeScore(0.1 * (1 - 1e-7), 10)).toBe(1000);
    expect(quantizeScore(0.10004, 10)).toBe(1000);
    expect(quantizeScore(0.10006, 10)).toBe(1001);
    // Just under the floor by float noise still counts as at the floor.
    const n = 7;
    expect(quantizeScore((0.5 / n) * (1 - 1e-7), n)).toBe(FLOOR_STEPS);
    const s = Array.from({ length: n }, (_, i) => (i === 3 ? (0.5 / n) * (1 - 1e-7) : 0.01));
    s[0] = 1;
    expect(selectSentences(base(s, { k: 7 })).candidates).toEqual([0, 3]);
  });

  it('gives the same selection when every score is perturbed by 1e-7 (relative)', () => {
    // Scores with many exact ties (groups of equal values, like symmetric chats produce), some
    // sentences at the floor, filler, near-duplicates and a token budget.
    const n = 40;
    const level = [2.3, 1.7, 1.7, 1.2, 1.0, 1.0, 1.0, 0.5, 0.5, 0.3];
    const raw = Array.from({ length: n }, (_, i) => level[(i * 7) % level.length] / n);
    const total = raw.reduce((a, b) => a + b, 0);
    const scores = raw.map((x) => x / total);
    const input = (sc: number[]) =>
      base(sc, {
        k: 6,
        maxTokens: 40,
        substantive: sc.map((_, i) => i % 9 !== 4),
        cost: (i) => 5 + (i % 4) * 3,
        isNearDuplicate: (i, j) => (i - j) % 10 === 0,
      });
    const expected = selectSentences(input(scores));
    expect(expected.picked.length).toBeGreaterThan(2);

    const rnd = random(20_250_101);
    let rawOrderFlips = 0;
    for (let trial = 0; trial < 500; trial++) {
      const perturbed = scores.map((x) => x * (1 + (rnd() * 2 - 1) * 1e-7));
      const got = selectSentences(input(perturbed));
      expect(got.picked).toEqual(expected.picked);
      expect(got.quantized).toEqual(expected.quantized);
      // The old comparison (raw floats) would have reordered the tied sentences.
      const rawOrder = perturbed.map((_, i) => i).sort((a, b) => perturbed[b] - perturbed[a] || a - b);
      if (rawOrder.join() !== rankOrder(expected.quantized).join()) rawOrderFlips++;
    }
    expect(rawOrderFlips).toBeGreaterThan(400);
  });

  it('gives provably tied sentences one score', () => {
    const keys = [
      tieKey(['b', 'a', 'a'], 0.1),
      tieKey(['c'], 0.1),
      tieKey(['a', 'b', 'a'], 0.1),
      tieKey(['a', 'a', 'b'], 0.2),
    ];
    expect(keys[0]).toBe(keys[2]);
    expect(keys[0]).not.toBe(keys[3]);
    expect(Array.from(shareTiedScores([0.3, 0.2, 0.30000001, 0.2], keys))).toEqual([0.3, 0.2, 0.3, 0.2]);
  });
});
