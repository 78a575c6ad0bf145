// Scoring a claimed output by its token ids (result v2) on the tiny model: every honest output, sampled or
// greedy, ended by end of sequence, a stop sequence or the limit, scores 100 % and decodes to its text;
// another seed's ids, edited ids, ids cut short or run on, past the limit or the vocabulary, do not pass.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentEngineLogger } from '../../engine/logger';
import { type CausalLM, type GenerateParams, loadCausalLM } from './runner';
import { TINY_CHAIN, writeTinyModel } from './tiny-model';

let root: string;
let lm: CausalLM;
let vocab: string[];
const EOS = 3; // writeTinyModel's vocabulary: pad, unk, bos, eos, then the words

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cocoon-score-ids-'));
  const dir = path.join(root, 'tiny-gpt');
  vocab = await writeTinyModel(dir, { chain: TINY_CHAIN, contextLength: 48 });
  lm = await loadCausalLM(dir, { device: 'cpu', logger: silentEngineLogger });
});
afterAll(async () => {
  await lm?.dispose();
  await rm(root, { recursive: true, force: true });
});

type Job = Omit<GenerateParams, 'onToken' | 'onProgress' | 'signal'>;
const sampled = (seed: number, over: Partial<Job> = {}): Job => ({
  prompt: 'the quick',
  maxTokens: 24,
  temperature: 1.5,
  topP: 1,
  seed,
  ...over,
});

async function honest(job: Job) {
  const r = await lm.generate(job);
  const s = await lm.scoreIds({ ...job, tokenIds: r.tokenIds, finishReason: r.finishReason });
  return { r, s };
}

describe('scoreIds on honest outputs', () => {
  it('scores sampled, greedy, stopped and cut outputs 100 %, ending where they end, decoding to their text', async () => {
    const jobs: Job[] = [
      ...Array.from({ length: 6 }, (_, i) => sampled(100 + i)),
      sampled(7, { temperature: 0 }),
      sampled(8, { stop: ['dog', ','] }),
      sampled(9, { maxTokens: 3 }),
      sampled(10, { topK: 3, topP: 0.9 }),
    ];
    const finishes = new Set<string>();
    for (const job of jobs) {
      const { r, s } = await honest(job);
      expect(r.tokenIds.length).toBe(r.completionTokens);
      expect(s).toMatchObject({ agreement: 1, endAgrees: true, text: r.text, promptTokens: r.promptTokens });
      expect(s.completionTokens).toBe(r.completionTokens);
      expect(s.problem).toBeUndefined();
      finishes.add(r.finishReason);
    }
    expect(finishes).toEqual(new Set(['stop', 'length']));
  });

  it('counts the end-of-sequence token and a stop sequence in the ids, not in the text', async () => {
    const greedy = await lm.generate({ prompt: 'the', maxTokens: 20, temperature: 0 });
    expect(greedy.text).toBe('quick brown fox jumps over lazy dog.');
    expect(greedy.tokenIds.at(-1)).toBe(EOS);
    expect(greedy.tokenIds.map((t) => vocab[t]).slice(0, 2)).toEqual(['quick', 'brown']);
    const stopped = await lm.generate({ prompt: 'the', maxTokens: 20, temperature: 0, stop: ['jumps'] });
    expect(stopped.text).toBe('quick brown fox ');
    expect(stopped.tokenIds.map((t) => vocab[t])).toEqual(['quick', 'brown', 'fox', 'jumps']);
  });
});

describe('scoreIds on forged outputs', () => {
  it("scores another seed's ids low", async () => {
    let worst = 0;
    for (let i = 0; i < 6; i++) {
      const other = await lm.generate(sampled(200 + i));
      const s = await lm.scoreIds({ ...sampled(100 + i), tokenIds: other.tokenIds, finishReason: 'stop' });
      worst = Math.max(worst, s.agreement);
    }
    expect(worst).toBeLessThan(0.98);
  });

  it('catches one edited id', async () => {
    const job = sampled(7, { temperature: 0 });
    const r = await lm.generate(job);
    const ids = [...r.tokenIds];
    ids[1] = ids[1] === 6 ? 7 : 6; // another word
    const s = await lm.scoreIds({ ...job, tokenIds: ids, finishReason: r.finishReason });
    expect(s.agreement).toBeLessThan(1);
    expect(s.agreeing).toBeLessThan(ids.length);
  });

  it('refuses ids past the limit, past the vocabulary, on past the end, or none', async () => {
    const job = sampled(7, { temperature: 0, maxTokens: 4 });
    const r = await lm.generate(job);
    const claim = (tokenIds: number[]) => lm.scoreIds({ ...job, tokenIds, finishReason: 'length' });
    expect((await claim([...r.tokenIds, r.tokenIds[0]])).problem).toMatch(/more than the 4/);
    expect((await claim([r.tokenIds[0], vocab.length])).problem).toMatch(/vocabulary of 16/);
    expect((await claim([r.tokenIds[0], 2 ** 31 - 1])).problem).toMatch(/vocabulary/);
    expect((await claim([r.tokenIds[0], EOS, r.tokenIds[1]])).problem).toMatch(/end-of-sequence/);
    expect((await claim([])).problem).toMatch(/no token ids/);
  });

  it('catches an output cut short, a wrong finish reason, and ids run on past a stop sequence', async () => {
    const greedy = sampled(7, { prompt: 'the', temperature: 0 });
    const r = await lm.generate(greedy);
    const cut = await lm.scoreIds({ ...greedy, tokenIds: r.tokenIds.slice(0, 4), finishReason: 'stop' });
    expect(cut).toMatchObject({ agreement: 1, endAgrees: false });
    const asLength = await lm.scoreIds({ ...greedy, tokenIds: r.tokenIds, finishReason: 'length' });
    expect(asLength.endAgrees).toBe(false);
    const stopJob = { ...greedy, stop: ['fox'] };
    const runOn = await lm.scoreIds({ ...stopJob, tokenIds: r.tokenIds.slice(0, 5), finishReason: 'stop' });
    expect(runOn.problem).toMatch(/past a stop sequence/);
  });
});
