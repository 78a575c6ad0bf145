// A trigram language model with stupid backoff (Brants et al., 2007), expressed as an ONNX causal
// LM with the GPT-2 interface transformers.js drives: input_ids + past_key_values.0.{key,value} in,
// logits + present.0.{key,value} out. The "KV cache" holds the token history as floats
// ([batch, 1, seq, 1]), so each step only needs the last two tokens, like a real cache would.
// Like a real causal-LM export, `logits` covers every position of the current input_ids
// ([batch, sequence_length, V]): position k is scored from the context (hist[t-1], hist[t]) with
// t = past_len + k, exactly what feeding the tokens one at a time would give, so a prompt plus a
// claimed continuation can be scored in one pass. Generation takes logits[:, -1, :]; the price is a
// prefill of n tokens computing n × V floats (a full 1024-token context: ~49 MB of logits, ~0.2 s).
import { GraphBuilder } from '../../engine/onnx-builder';

export const BACKOFF_LOG = Math.log(0.4);
/** Backing off all the way to unigrams is penalised harder: unigram samples read as word salad. */
export const UNIGRAM_BACKOFF_LOG = Math.log(0.05);
/** Added to logits of tokens the model must never emit (padding, unknown, sentence start). */
export const SUPPRESS_LOGIT = -1e9;
export const HASH_MULT = 40503;
export const HASH_ADD = 7;

export interface NgramTables {
  vocabSize: number;
  /** Fills the history before the first token: contexts start as (bos, bos). */
  bosId: number;
  /** log P(w) for every token. */
  unigram: Float32Array;
  /** Per previous token b: top continuations w and log P(w | b); padded rows use padId / SUPPRESS_LOGIT. */
  bigramK: number;
  bigramIdx: Int32Array;
  bigramVal: Float32Array;
  /** Open-addressing table over keys a·V + b (two probes); -1 marks an empty slot. */
  hashSize: number;
  hashKeys: BigInt64Array;
  hashCtx: Int32Array;
  /** Rows of trigram continuations, row 0 unused (the "no context" row). */
  trigramK: number;
  trigramIdx: Int32Array;
  trigramVal: Float32Array;
  /** Token ids that are never generated. */
  suppress: number[];
}

export function hashSlots(key: number, hashSize: number): [number, number] {
  return [key % hashSize, (key * HASH_MULT + HASH_ADD) % hashSize];
}

export function buildNgramGraph(t: NgramTables): Uint8Array {
  const V = t.vocabSize;
  const g = new GraphBuilder('cocoon_ngram_lm');
  const inputIds = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  g.input('attention_mask', 'int64', ['batch_size', 'total_sequence_length']); // kept for the GPT-2 interface
  const pastKey = g.input('past_key_values.0.key', 'float', ['batch_size', 1, 'past_sequence_length', 1]);
  g.input('past_key_values.0.value', 'float', ['batch_size', 1, 'past_sequence_length', 1]);

  // History = past ++ current tokens; this is the whole "cache".
  const cur = g.op('Unsqueeze', [g.op('Cast', [inputIds], { to: { int: 1 } }), g.vec('int64', [1, 3])]);
  const present = g.op('Concat', [pastKey, cur], { axis: { int: 2 } }, 'present.0.key');
  g.op('Identity', [present], {}, 'present.0.value');

  const hist = g.op('Reshape', [present, g.vec('int64', [0, -1])]);
  const padded = g.op('Pad', [hist, g.vec('int64', [0, 2, 0, 0]), g.scalar('float', t.bosId)]);
  // padded[i] = hist[i - 2], so the context of current position k (t = past_len + k) is
  // (padded[t + 1], padded[t + 2]): a = padded[:, -S-1 : -1], b = padded[:, -S :], S = sequence_length.
  const seqLen = g.op('Shape', [inputIds], { start: { int: 1 }, end: { int: 2 } });
  const negS = g.op('Neg', [seqLen]);
  const axis1 = g.vec('int64', [1]);
  const aF = g.op('Slice', [padded, g.op('Sub', [negS, g.vec('int64', [1])]), g.vec('int64', [-1]), axis1]);
  const bF = g.op('Slice', [padded, negS, g.vec('int64', [2 ** 31 - 1]), axis1]);
  // One row per (batch, position): every step below is row-wise, as it was for the last position.
  const flat = g.vec('int64', [-1]);
  const a = g.op('Reshape', [g.op('Cast', [aF], { to: { int: 7 } }), flat]);
  const b = g.op('Reshape', [g.op('Cast', [bF], { to: { int: 7 } }), flat]);

  // Bigram layer over the unigram backoff.
  const unigram = g.init('float', [1, V], t.unigram);
  const base = g.op('Add', [unigram, g.scalar('float', UNIGRAM_BACKOFF_LOG)]);
  const batchBase = g.op('Expand', [
    base,
    g.op('Concat', [g.op('Shape', [b]), g.vec('int64', [V])], { axis: { int: 0 } }),
  ]);
  const bIdx = g.op('Gather', [g.init('int32', [V, t.bigramK], t.bigramIdx), b], { axis: { int: 0 } });
  const bVal = g.op('Gather', [g.init('float', [V, t.bigramK], t.bigramVal), b], { axis: { int: 0 } });
  const lb = g.op('ScatterElements', [batchBase, bIdx, bVal], { axis: { int: 1 } });

  // Trigram layer: look the context (a, b) up with two hash probes.
  const key = g.op('Add', [g.op('Mul', [a, g.scalar('int64', V)]), b]);
  const size = g.scalar('int64', t.hashSize);
  const h1 = g.op('Mod', [key, size]);
  const h2 = g.op('Mod', [
    g.op('Add', [g.op('Mul', [key, g.scalar('int64', HASH_MULT)]), g.scalar('int64', HASH_ADD)]),
    size,
  ]);
  const keys = g.init('int64', [t.hashSize], t.hashKeys);
  const ctxs = g.init('int32', [t.hashSize], t.hashCtx);
  const hit1 = g.op('Equal', [g.op('Gather', [keys, h1]), key]);
  const hit2 = g.op('Equal', [g.op('Gather', [keys, h2]), key]);
  const ctx = g.op('Where', [
    hit1,
    g.op('Gather', [ctxs, h1]),
    g.op('Where', [hit2, g.op('Gather', [ctxs, h2]), g.scalar('int32', 0)]),
  ]);
  const rows = t.trigramIdx.length / t.trigramK;
  const tIdx = g.op('Gather', [g.init('int32', [rows, t.trigramK], t.trigramIdx), ctx], { axis: { int: 0 } });
  const tVal = g.op('Gather', [g.init('float', [rows, t.trigramK], t.trigramVal), ctx], { axis: { int: 0 } });
  const lt = g.op('ScatterElements', [g.op('Add', [lb, g.scalar('float', BACKOFF_LOG)]), tIdx, tVal], {
    axis: { int: 1 },
  });
  const found = g.op('Unsqueeze', [g.op('Or', [hit1, hit2]), g.vec('int64', [1])]);
  const mixed = g.op('Where', [found, lt, lb]);

  const suppress = new Float32Array(V);
  for (const id of t.suppress) suppress[id] = SUPPRESS_LOGIT;
  const logits = g.op('Add', [mixed, g.init('float', [1, V], suppress)]);
  const logitsShape = g.op('Concat', [g.op('Shape', [inputIds]), g.vec('int64', [V])], { axis: { int: 0 } });
  g.op('Reshape', [logits, logitsShape], {}, 'logits');

  g.output('logits', 'float', ['batch_size', 'sequence_length', V]);
  g.output('present.0.key', 'float', ['batch_size', 1, 'total_sequence_length', 1]);
  g.output('present.0.value', 'float', ['batch_size', 1, 'total_sequence_length', 1]);
  return g.toBytes();
}

/** Tables for a bigram-only model (no trigram contexts): handy for small hand-made models. */
export function bigramOnlyTables(opts: {
  vocabSize: number;
  bosId: number;
  unigram: Float32Array;
  /** For each previous token: [next token, log-prob] pairs. */
  next: Map<number, [number, number][]>;
  padId: number;
  suppress: number[];
}): NgramTables {
  const k = Math.max(1, ...[...opts.next.values()].map((l) => l.length));
  const bigramIdx = new Int32Array(opts.vocabSize * k).fill(opts.padId);
  const bigramVal = new Float32Array(opts.vocabSize * k).fill(SUPPRESS_LOGIT);
  for (const [prev, list] of opts.next) {
    list.forEach(([w, lp], j) => {
      bigramIdx[prev * k + j] = w;
      bigramVal[prev * k + j] = lp;
    });
  }
  return {
    vocabSize: opts.vocabSize,
    bosId: opts.bosId,
    unigram: opts.unigram,
    bigramK: k,
    bigramIdx,
    bigramVal,
    hashSize: 1,
    hashKeys: BigInt64Array.of(-1n),
    hashCtx: Int32Array.of(0),
    trigramK: 1,
    trigramIdx: Int32Array.of(opts.padId),
    trigramVal: Float32Array.of(SUPPRESS_LOGIT),
    suppress: opts.suppress,
  };
}
