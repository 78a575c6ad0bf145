import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { SPECIAL_TOKENS } from './hf-export';
import {
  BACKOFF_LOG,
  bigramOnlyTables,
  buildNgramGraph,
  hashSlots,
  type NgramTables,
  SUPPRESS_LOGIT,
  UNIGRAM_BACKOFF_LOG,
} from './ngram-graph';
import { readBrownParagraphs, trainBrownNgram } from './train';

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

/** Runs the graph on a batch of histories: `past` rows are the cache, `ids` rows the new tokens. */
async function run(session: ort.InferenceSession, past: number[][], ids: number[][], vocab = V) {
  const B = ids.length;
  const P = past[0].length;
  const S = ids[0].length;
  const pastT = new ort.Tensor('float32', Float32Array.from(past.flat()), [B, 1, P, 1]);
  const out = await session.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.flat().map(BigInt)), [B, S]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(B * (P + S)).fill(1n), [B, P + S]),
    'past_key_values.0.key': pastT,
    'past_key_values.0.value': pastT,
  });
  expect(out.logits.dims).toEqual([B, S, vocab]);
  const histories = past.map((p, i) => [...p, ...ids[i]]);
  expect(out['present.0.key'].dims).toEqual([B, 1, P + S, 1]);
  expect(Array.from(out['present.0.key'].data as Float32Array)).toEqual(histories.flat());
  expect(Array.from(out['present.0.value'].data as Float32Array)).toEqual(histories.flat());
  const data = out.logits.data as Float32Array;
  // rows[b][k]: the logits at current position k of batch row b.
  return ids.map((_, b) =>
    Array.from({ length: S }, (_, k) => data.slice((b * S + k) * vocab, (b * S + k + 1) * vocab)),
  );
}

async function nextToken(session: ort.InferenceSession, past: number[], ids: number[]) {
  const logits = (await run(session, [past], [ids]))[0].at(-1)!;
  return logits.indexOf(Math.max(...logits));
}

/** The logits at each of `ids` after `past`, fed one token at a time with the growing cache. */
async function oneByOne(session: ort.InferenceSession, past: number[], ids: number[], vocab = V) {
  const rows: Float32Array[] = [];
  for (let k = 0; k < ids.length; k++) {
    rows.push((await run(session, [[...past, ...ids.slice(0, k)]], [[ids[k]]], vocab))[0][0]);
  }
  return rows;
}

/** The graph's math for one position, in float32 on the CPU: the logits after history[0..pos]. */
function reference(t: NgramTables, history: number[], pos: number): Float32Array {
  const f = Math.fround;
  const padded = [t.bosId, t.bosId, ...history];
  const [a, b] = [padded[pos + 1], padded[pos + 2]];
  const row = t.unigram.map((u) => f(u + f(UNIGRAM_BACKOFF_LOG)));
  for (let j = 0; j < t.bigramK; j++) row[t.bigramIdx[b * t.bigramK + j]] = t.bigramVal[b * t.bigramK + j];
  const key = a * t.vocabSize + b;
  const slot = hashSlots(key, t.hashSize).find((s) => t.hashKeys[s] === BigInt(key));
  if (slot !== undefined) {
    const ctx = t.hashCtx[slot];
    for (let w = 0; w < row.length; w++) row[w] = f(row[w] + f(BACKOFF_LOG));
    for (let j = 0; j < t.trigramK; j++)
      row[t.trigramIdx[ctx * t.trigramK + j]] = t.trigramVal[ctx * t.trigramK + j];
  }
  for (const id of t.suppress) row[id] = f(row[id] + SUPPRESS_LOGIT);
  return row;
}

/** Bit-for-bit equality of two logit rows (index of the first difference, or -1). */
function firstDiff(x: Float32Array, y: Float32Array): number {
  expect(x.length).toBe(y.length);
  const xi = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const yi = new Uint32Array(y.buffer, y.byteOffset, y.length);
  return xi.findIndex((v, i) => v !== yi[i]);
}

function expectSameRows(actual: Float32Array[], expected: Float32Array[]) {
  expect(actual.length).toBe(expected.length);
  for (const [k, row] of actual.entries()) {
    expect({ position: k, firstDiff: firstDiff(row, expected[k]) }).toEqual({ position: k, firstDiff: -1 });
  }
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

  // Hits the trigram contexts (2,3) and (6,3), bigram-only contexts, and the (bos, bos) start.
  const seq = [2, 3, 5, 6, 3, 7, 4, 3, 4, 2, 3];

  it('gives the logits of every position in one pass, as feeding tokens one at a time would', async () => {
    const session = await ort.InferenceSession.create(buildNgramGraph(tables()));
    const all = (await run(session, [[]], [seq]))[0];
    expectSameRows(all, await oneByOne(session, [], seq));
    expectSameRows(
      all,
      seq.map((_, k) => reference(tables(), seq, k)),
    );
    // Argmax at each position follows the n-gram rules: (2,3)→5, (6,3)→7, (4,3)→4.
    const best = all.map((l) => l.indexOf(Math.max(...l)));
    expect(best[1]).toBe(5);
    expect(best[4]).toBe(7);
    expect(best[7]).toBe(4);
    await session.release();
  });

  it('scores several new tokens after a non-empty cache, and single-token steps stay as they were', async () => {
    const session = await ort.InferenceSession.create(buildNgramGraph(tables()));
    for (const cut of [1, 2, 4, 7, seq.length - 1]) {
      const past = seq.slice(0, cut);
      const ids = seq.slice(cut);
      const rows = (await run(session, [past], [ids]))[0];
      expectSameRows(rows, await oneByOne(session, past, ids));
      expectSameRows(
        rows,
        ids.map((_, k) => reference(tables(), seq, cut + k)),
      );
      // The last position is what generation reads: the same as the whole history in one pass.
      expect(
        firstDiff(
          (await run(session, [past], [ids]))[0].at(-1)!,
          (await run(session, [[]], [seq]))[0].at(-1)!,
        ),
      ).toBe(-1);
    }
    await session.release();
  });

  it('handles a batch of two rows, each as if run alone', async () => {
    const session = await ort.InferenceSession.create(buildNgramGraph(tables()));
    const rows = [
      { past: [6], ids: [3, 7, 4, 3] },
      { past: [2], ids: [3, 5, 2, 3] },
    ];
    const batched = await run(
      session,
      rows.map((r) => r.past),
      rows.map((r) => r.ids),
    );
    for (const [i, r] of rows.entries()) {
      expectSameRows(batched[i], (await run(session, [r.past], [r.ids]))[0]);
      expectSameRows(batched[i], await oneByOne(session, r.past, r.ids));
    }
    // Empty cache, batch of two.
    const fresh = await run(session, [[], []], [seq.slice(0, 5), seq.slice(5, 10)]);
    expectSameRows(fresh[0], await oneByOne(session, [], seq.slice(0, 5)));
    expectSameRows(fresh[1], await oneByOne(session, [], seq.slice(5, 10)));
    await session.release();
  });
});

describe('n-gram ONNX graph on the trained Brown tables', () => {
  it('scores a real paragraph in one pass exactly as token-by-token decoding does', async () => {
    const { vocab, tables: t } = trainBrownNgram();
    const Vt = t.vocabSize;
    expect(Vt).toBe(vocab.length);
    const idOf = new Map(vocab.map((w, i) => [w, i]));
    const unk = idOf.get(SPECIAL_TOKENS.unk)!;
    const words = readBrownParagraphs(1).flat().slice(0, 40);
    const ids = [t.bosId, ...words.map((w) => idOf.get(w) ?? unk)];
    // The paragraph really exercises the trigram layer (contexts found in the hash table).
    const hits = ids.slice(1).filter((b, i) => {
      const key = ids[i] * Vt + b;
      return hashSlots(key, t.hashSize).some((s) => t.hashKeys[s] === BigInt(key));
    }).length;
    expect(hits).toBeGreaterThan(5);

    const session = await ort.InferenceSession.create(buildNgramGraph(t));
    try {
      const steps = await oneByOne(session, [], ids, Vt);
      expectSameRows((await run(session, [[]], [ids], Vt))[0], steps);
      expectSameRows(
        steps,
        ids.map((_, k) => reference(t, ids, k)),
      );
      const cut = 17;
      expectSameRows((await run(session, [ids.slice(0, cut)], [ids.slice(cut)], Vt))[0], steps.slice(cut));
      const batched = await run(
        session,
        [ids.slice(0, 5), ids.slice(10, 15)],
        [ids.slice(5, 10), ids.slice(15, 20)],
        Vt,
      );
      expectSameRows(batched[0], steps.slice(5, 10));
      expectSameRows(batched[1], await oneByOne(session, ids.slice(10, 15), ids.slice(15, 20), Vt));
    } finally {
      await session.release();
    }
  }, 60_000);
});
