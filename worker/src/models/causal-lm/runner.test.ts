import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentEngineLogger } from '../../engine/logger';
import { isHfCausalLmFolder, readHfFolder } from './hf-folder';
import { type CausalLM, GenerationAbortedError, loadCausalLM, PromptTooLongError } from './runner';
import { IncrementalDecoder, StopAwareTextStream } from './stream-text';
import { TINY_CHAIN, writeTinyModel } from './tiny-model';

let root: string;
let dir: string;
let lm: CausalLM;
let vocab: string[];
const progress: number[] = [];

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cocoon-lm-'));
  dir = path.join(root, 'tiny-gpt');
  vocab = await writeTinyModel(dir, { chain: TINY_CHAIN, contextLength: 24 });
  lm = await loadCausalLM(dir, {
    device: 'cpu',
    logger: silentEngineLogger,
    onProgress: (f) => progress.push(f),
  });
});

afterAll(async () => {
  await lm?.dispose();
  await rm(root, { recursive: true, force: true });
});

describe('tiny model folder', () => {
  it('has the Hugging Face layout', () => {
    expect(isHfCausalLmFolder(dir)).toBe(true);
    expect(readHfFolder(dir)).toMatchObject({
      modelType: 'gpt2',
      dtype: 'fp32',
      contextLength: 24,
      isInstruct: false,
    });
  });

  it('reports load progress from 0 to 1', () => {
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(1);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it('rejects a folder without the layout', () => {
    expect(() => readHfFolder(root)).toThrow(/config.json, tokenizer.json/);
  });
});

/** Greedy decoding after "the", up to 20 tokens, with the streamed deltas collected. */
async function greedyFromThe(options: Partial<Parameters<CausalLM['generate']>[0]> = {}) {
  const deltas: string[] = [];
  const result = await lm.generate({
    prompt: 'the',
    maxTokens: 20,
    temperature: 0,
    onToken: (d) => deltas.push(d),
    ...options,
  });
  return { result, deltas };
}

describe('loadCausalLM on the tiny model', () => {
  it('greedy-decodes the known sequence, stopping at end of sequence', async () => {
    const { result: r, deltas } = await greedyFromThe({ streamIntervalMs: 0 });
    expect(r.text).toBe('quick brown fox jumps over lazy dog.');
    expect(r.finishReason).toBe('stop');
    expect(r.promptTokens).toBe(1);
    // 7 words + "." + the end-of-sequence token, which the model did compute.
    expect(r.completionTokens).toBe(9);
    expect(deltas.join('')).toBe(r.text);
    expect(deltas.length).toBeGreaterThan(1);
  });

  it('streams every delta with the default throttle, and ends at end of sequence without a listener', async () => {
    const { result: streamed, deltas } = await greedyFromThe({ streamIntervalMs: 1000 });
    expect(streamed.text).toBe('quick brown fox jumps over lazy dog.');
    expect(deltas.join('')).toBe(streamed.text);
    // No listener, no stop sequences, no signal: nothing is decoded or checked per token.
    const { result: quiet } = await greedyFromThe({ onToken: undefined });
    expect(quiet).toEqual({ ...streamed, finishReason: 'stop' });
    const { result: withSignal } = await greedyFromThe({
      onToken: undefined,
      signal: new AbortController().signal,
    });
    expect(withSignal).toEqual(quiet);
  });

  it('counts every decoded token to onProgress, though the text stream holds deltas back', async () => {
    const counts: number[] = [];
    // One big throttle: the text arrives in few deltas, the progress at every step.
    const { result: r } = await greedyFromThe({ streamIntervalMs: 1000, onProgress: (n) => counts.push(n) });
    expect(counts).toEqual(Array.from({ length: r.completionTokens }, (_, i) => i + 1));
  });

  it('continues from the last prompt word', async () => {
    const r = await lm.generate({ prompt: 'fox , and', maxTokens: 20, temperature: 0 });
    expect(r.text).toBe('runs.');
    expect(r.promptTokens).toBe(3);
  });

  it('stops at maxTokens with finishReason length', async () => {
    const r = await lm.generate({ prompt: 'the', maxTokens: 3, temperature: 0 });
    expect(r).toMatchObject({ text: 'quick brown fox', completionTokens: 3, finishReason: 'length' });
  });

  it('stops at a stop sequence and leaves it out', async () => {
    const { result: r, deltas } = await greedyFromThe({ stop: ['jumps'] });
    expect(r.text).toBe('quick brown fox ');
    expect(r.finishReason).toBe('stop');
    expect(r.completionTokens).toBe(4);
    expect(deltas.join('')).toBe(r.text);
  });

  it('counts tokens with the model tokenizer', async () => {
    expect(lm.countTokens('the quick brown fox.')).toBe(5);
    expect(lm.countTokens('the zebra')).toBe(2); // unknown word → one [UNK]
    const r = await lm.generate({ prompt: 'the lazy', maxTokens: 2, temperature: 0 });
    expect(r.promptTokens).toBe(lm.countTokens('the lazy'));
    expect(r.completionTokens).toBe(lm.countTokens(r.text));
  });

  it('samples only real words with temperature and top-p', async () => {
    const r = await lm.generate({ prompt: 'over', maxTokens: 6, temperature: 1.2, topP: 0.5 });
    // With top-p 0.5 only the dominant successor survives, so sampling follows the chain.
    expect(r.text.startsWith('lazy dog')).toBe(true);
    const free = await lm.generate({ prompt: 'quick', maxTokens: 6, temperature: 1.5, topP: 1 });
    for (const w of free.text.split(/\s+|(?=[.,])/).filter(Boolean)) expect(vocab).toContain(w);
  });

  it('fails clearly when the prompt exceeds the context', async () => {
    const long = Array.from({ length: 30 }, () => 'the').join(' ');
    await expect(lm.generate({ prompt: long, maxTokens: 5 })).rejects.toBeInstanceOf(PromptTooLongError);
    await expect(lm.generate({ prompt: long, maxTokens: 5 })).rejects.toThrow(
      /30 tokens .* context holds 24/,
    );
  });

  it('caps the completion at the context length', async () => {
    const prompt = Array.from({ length: 22 }, () => 'quick').join(' ');
    const r = await lm.generate({ prompt, maxTokens: 50, temperature: 0 });
    expect(r.completionTokens).toBe(2);
    expect(r.finishReason).toBe('length');
  });

  it('honours an abort signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(lm.generate({ prompt: 'the', maxTokens: 5, signal: ac.signal })).rejects.toBeInstanceOf(
      GenerationAbortedError,
    );
    const ac2 = new AbortController();
    const run = lm.generate({
      prompt: 'the',
      maxTokens: 20,
      temperature: 0,
      signal: ac2.signal,
      onToken: () => ac2.abort(),
    });
    await expect(run).rejects.toBeInstanceOf(GenerationAbortedError);
  });

  it('runs concurrent requests together with correct results', async () => {
    const [a, b] = await Promise.all([
      lm.generate({ prompt: 'the', maxTokens: 2, temperature: 0 }),
      lm.generate({ prompt: 'lazy', maxTokens: 2, temperature: 0 }),
    ]);
    expect(a.text).toBe('quick brown');
    expect(b.text).toBe('dog.');
  });
});

describe('StopAwareTextStream', () => {
  it('never emits text a decoder later rewrites, nor a partial stop sequence', () => {
    const out: string[] = [];
    const s = new StopAwareTextStream(['\n\nUser:'], (d) => out.push(d));
    for (const t of [
      'Hello',
      'Hello ,',
      'Hello, world',
      "Hello, world don '",
      "Hello, world don't",
      "Hello, world don't\n\nUs",
    ]) {
      s.update(t);
      expect(t.replace(/ ,/, ',').startsWith(out.join('')) || t.startsWith(out.join(''))).toBe(true);
    }
    expect(s.update("Hello, world don't\n\nUser: hi")).toBe(true);
    expect(s.finish('ignored')).toBe("Hello, world don't");
    expect(out.join('')).toBe("Hello, world don't");
  });
});

describe('IncrementalDecoder', () => {
  // A word-level decoder with the same punctuation clean-up rules transformers.js applies.
  const words = ['the', 'dog', '.', ',', "'", 's', 't', 'don', 'runs', '?', 'é', "n't"];
  const decodeWords = (ids: bigint[]) =>
    ids
      .map((i) => words[Number(i)])
      .join(' ')
      .replace(/ \./g, '.')
      .replace(/ \?/g, '?')
      .replace(/ ,/g, ',')
      .replace(/ ' /g, "'")
      .replace(/ n't/g, "n't");

  /** A small seeded generator (an LCG), so the random sequences are the same on every run. */
  const seeded = (seed: number) => () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };

  it('matches a full decode at every step of long sequences', () => {
    const rand = seeded(7);
    for (let run = 0; run < 20; run++) {
      const inc = new IncrementalDecoder(decodeWords, 4, 8);
      const ids: bigint[] = [];
      let calls = 0;
      const counting = (x: bigint[]) => {
        calls += x.length;
        return decodeWords(x);
      };
      const inc2 = new IncrementalDecoder(counting, 4, 8);
      for (let i = 0; i < 150; i++) {
        ids.push(BigInt(Math.floor(rand() * words.length)));
        expect(inc.text(ids)).toBe(decodeWords(ids));
        inc2.text(ids);
      }
      // Work per step stays bounded instead of growing with the sequence.
      expect(calls).toBeLessThan(150 * 40);
    }
  });

  it('matches a full decode when asked only now and then, as the throttled stream does', () => {
    const rand = seeded(11);
    for (let run = 0; run < 20; run++) {
      const inc = new IncrementalDecoder(decodeWords, 4, 8);
      const ids: bigint[] = [];
      let next = 1;
      for (let i = 0; i < 200; i++) {
        ids.push(BigInt(Math.floor(rand() * words.length)));
        if (ids.length < next) continue;
        expect(inc.text(ids)).toBe(decodeWords(ids));
        next = ids.length + 1 + Math.floor(rand() * 40);
      }
    }
  });

  it('decodes each new token about once when asked every 30 tokens', () => {
    let decoded = 0;
    const plain = (x: bigint[]) => {
      decoded += x.length;
      return x.map((i) => `w${i}`).join(' ');
    };
    const inc = new IncrementalDecoder(plain, 4, 8);
    const ids: bigint[] = [];
    for (let i = 0; i < 300; i++) {
      ids.push(BigInt(i));
      if (ids.length % 30 === 0) expect(inc.text(ids)).toBe(ids.map((x) => `w${x}`).join(' '));
    }
    // Moving the frozen boundary before the tail decode: 300 new ids plus a few context ids per call
    // (decoding the long tail twice, before and after the move, was over 700).
    expect(decoded).toBeLessThan(500);
  });
});
