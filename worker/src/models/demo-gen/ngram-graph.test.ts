import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { bigramOnlyTables, buildNgramGraph, hashSlots, SUPPRESS_LOGIT } from './ngram-graph';

// Vocabulary 0..7: 0 pad, 1 bos; bigram 3→4, but trigram (2,3)→5 and (6,3)→7.
const V = 8;
function tables() {
  const t = bigramOnlyTables({
    vocabSize: V,
    bosId: 1,
    unigram: new Float32Array(V).fill(Math.log(1 / V)),
    next: new Map([
      [3, [[4, Math.log(0.9)]]],
      [1, [[2, Math.log(0.9)]]],
    ]),
    padId: 0,
    suppress: [0, 1],
  });
  const hashSize = 8;
  const hashKeys = new BigInt64Array(hashSize).fill(-1n);
  const hashCtx = new Int32Array(hashSize);
  const trigramIdx = new Int32Array(3).fill(0);
  const trigramVal = new Float32Array(3).fill(SUPPRESS_LOGIT);
  [
    [2, 3, 5],
    [6, 3, 7],
  ].forEach(([a, b, w], row) => {
    const key = a * V + b;
    const slot = hashSlots(key, hashSize).find((s) => hashKeys[s] === -1n)!;
    hashKeys[slot] = BigInt(key);
    hashCtx[slot] = row + 1;
    trigramIdx[row + 1] = w;
    trigramVal[row + 1] = Math.log(0.95);
  });
  return { ...t, hashSize, hashKeys, hashCtx, trigramK: 1, trigramIdx, trigramVal };
}

async function nextToken(session: ort.InferenceSession, past: number[], ids: number[]) {
  const out = await session.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(past.length + ids.length).fill(1n), [
      1,
      past.length + ids.length,
    ]),
    'past_key_values.0.key': new ort.Tensor('float32', Float32Array.from(past), [1, 1, past.length, 1]),
    'past_key_values.0.value': new ort.Tensor('float32', Float32Array.from(past), [1, 1, past.length, 1]),
  });
  const logits = out.logits.data as Float32Array;
  expect(out.logits.dims).toEqual([1, 1, V]);
  expect(Array.from(out['present.0.key'].data as Float32Array)).toEqual([...past, ...ids]);
  return logits.indexOf(Math.max(...logits));
}

describe('n-gram ONNX graph', () => {
  it('uses the trigram when the context is known, else the bigram, with history from the cache', async () => {
    const session = await ort.InferenceSession.create(buildNgramGraph(tables()));
    expect(await nextToken(session, [], [2, 3])).toBe(5);
    expect(await nextToken(session, [6], [3])).toBe(7);
    expect(await nextToken(session, [4], [3])).toBe(4); // (4,3) unknown → bigram 3→4
    expect(await nextToken(session, [], [3])).toBe(4); // (bos,3) unknown → bigram
    // Start of text: context (bos, bos) → bigram of bos → 2; suppressed tokens never win.
    expect(await nextToken(session, [], [1])).toBe(2);
    await session.release();
  });
});
