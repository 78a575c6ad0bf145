// A bare onnxruntime decode loop over a test decoder's files, independent of transformers.js and of the
// runner: forward passes with explicit input_ids / attention_mask / position_ids / KV cache. The tests use
// it to check a model by its own consistency (cached steps = one uncached pass; a left-padded batch =
// single runs) and to know the exact token ids a seeded run produces.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';

export interface DecoderSession {
  session: ort.InferenceSession;
  layers: number;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
  dispose(): Promise<void>;
}

/** Opens `onnx/<file>` of a model folder on the CPU (one intra-op thread unless told otherwise). */
export async function openDecoderSession(
  dir: string,
  file = 'model.onnx',
  options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 },
): Promise<DecoderSession> {
  const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, number>;
  const session = await ort.InferenceSession.create(path.join(dir, 'onnx', file), options);
  return {
    session,
    layers: config.num_hidden_layers,
    kvHeads: config.num_key_value_heads,
    headDim: config.head_dim ?? config.hidden_size / config.num_attention_heads,
    vocabSize: config.vocab_size,
    dispose: () => session.release(),
  };
}

export type KvCache = Record<string, ort.Tensor>;

export interface ForwardInput {
  /** [batch][seq] token ids (pad with any id where the mask is 0). */
  ids: number[][];
  /** [batch][past + seq]: 1 for real tokens, 0 for padding. Default all ones. */
  mask?: number[][];
  /** [batch][seq]; default as transformers.js makes them: cumsum(mask) - 1, 1 under padding. */
  positions?: number[][];
  past?: KvCache;
}

export interface ForwardOutput {
  /** [batch × seq × vocab] */
  logits: Float32Array;
  present: KvCache;
}

const i64 = (rows: number[][]) =>
  new ort.Tensor(
    'int64',
    BigInt64Array.from(rows.flat(), (v) => BigInt(v)),
    [rows.length, rows[0].length],
  );

export function emptyCache(d: DecoderSession, batch: number): KvCache {
  const cache: KvCache = {};
  for (let i = 0; i < d.layers; i++) {
    for (const kind of ['key', 'value']) {
      cache[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [
        batch,
        d.kvHeads,
        0,
        d.headDim,
      ]);
    }
  }
  return cache;
}

/** Position ids as transformers.js derives them from the mask, for the last `seq` columns. */
export function positionsFromMask(mask: number[][], seq: number): number[][] {
  return mask.map((row) => {
    let sum = 0;
    const pos = row.map((m) => {
      sum += m;
      return m ? sum - 1 : 1;
    });
    return pos.slice(pos.length - seq);
  });
}

export async function forward(d: DecoderSession, input: ForwardInput): Promise<ForwardOutput> {
  const batch = input.ids.length;
  const seq = input.ids[0].length;
  const past = input.past ?? emptyCache(d, batch);
  const pastLen = past['past_key_values.0.key'].dims[2];
  const mask = input.mask ?? input.ids.map(() => new Array(pastLen + seq).fill(1));
  const positions = input.positions ?? positionsFromMask(mask, seq);
  const out = await d.session.run({
    ...past,
    input_ids: i64(input.ids),
    attention_mask: i64(mask),
    position_ids: i64(positions),
  });
  const present: KvCache = {};
  for (const [name, t] of Object.entries(out)) {
    if (name.startsWith('present.')) present[name.replace('present.', 'past_key_values.')] = t;
  }
  return { logits: out.logits.data as Float32Array, present };
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

export interface DecodeStep {
  /** The logits the next token was chosen from. */
  logits: Float32Array;
  token: number;
}

/**
 * Generates up to `maxTokens` with the KV cache, one sequence: the prompt in one pass, then one token per
 * pass. `choose` picks each token (greedy by default); generation stops after a token in `stopIds`.
 */
export async function decodeWithCache(
  d: DecoderSession,
  prompt: number[],
  maxTokens: number,
  choose: (logits: Float32Array, history: number[]) => number = (l) => argmax(l),
  stopIds: readonly number[] = [],
): Promise<DecodeStep[]> {
  const steps: DecodeStep[] = [];
  const history = [...prompt];
  let out = await forward(d, { ids: [prompt] });
  let last: Float32Array = out.logits.slice((prompt.length - 1) * d.vocabSize, prompt.length * d.vocabSize);
  for (let i = 0; i < maxTokens; i++) {
    const token = choose(last, history);
    steps.push({ logits: last, token });
    history.push(token);
    if (stopIds.includes(token) || i === maxTokens - 1) break;
    out = await forward(d, { ids: [[token]], past: out.present });
    last = out.logits;
  }
  return steps;
}
