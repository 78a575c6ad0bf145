// How to drive a decoder's ONNX session directly, read from the session's own inputs and outputs: the
// Optimum / transformers.js layout (input_ids, attention_mask, optional position_ids, use_cache_branch and
// num_logits_to_keep, past_key_values.{i}.key|value in; logits, present.{i}.key|value out), with caches of
// shape [batch, heads, sequence, head_dim]. The project's n-gram graphs use the same names with a one-head
// "history" cache of shape [batch, 1, sequence, 1] that holds the token ids as floats and ignore the
// attention mask: left padding is harmless there too, as they read only the last two tokens of the history and
// a decode step always has at least one past token besides the current one.
import * as ort from 'onnxruntime-node';

export type KvType = 'float32' | 'float16';
type KvArray = Float32Array | Uint16Array;

export interface DecoderLayout {
  /** Cache inputs, in layer order: past_key_values.{i}.key and .value. */
  pastNames: string[];
  /** The present.* output for each past input, same order. */
  presentNames: string[];
  kvType: KvType;
  /** Heads × head_dim of one cache tensor per token (1 for the history caches). */
  heads: number;
  headDim: number;
  hasPositionIds: boolean;
  hasUseCacheBranch: boolean;
  hasNumLogitsToKeep: boolean;
  /** Bytes the cache holds per token of one sequence (every layer, key and value). */
  kvBytesPerToken: number;
}

export interface SessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>>;
}

/** Reads the layout from the session; throws with what is missing for a session it can't drive. */
export function readDecoderLayout(session: SessionLike): DecoderLayout {
  const inputs = new Set(session.inputNames);
  const outputs = new Set(session.outputNames);
  for (const need of ['input_ids', 'attention_mask']) {
    if (!inputs.has(need))
      throw new Error(`the decoder has no ${need} input (inputs: ${[...inputs].join(', ')})`);
  }
  if (!outputs.has('logits')) throw new Error('the decoder has no logits output');
  const pastNames = session.inputNames.filter((n) => /^past_key_values\.\d+\.(key|value)$/.test(n));
  if (pastNames.length === 0) {
    throw new Error('the decoder has no past_key_values inputs: only exports with a KV cache are served');
  }
  const other = session.inputNames.filter(
    (n) =>
      !pastNames.includes(n) &&
      !['input_ids', 'attention_mask', 'position_ids', 'use_cache_branch', 'num_logits_to_keep'].includes(n),
  );
  if (other.length) throw new Error(`the decoder needs inputs this engine doesn't give: ${other.join(', ')}`);
  const presentNames = pastNames.map((n) => n.replace('past_key_values', 'present'));
  for (const p of presentNames) if (!outputs.has(p)) throw new Error(`the decoder has no ${p} output`);

  const meta = session.inputMetadata.find((m) => m.name === pastNames[0]);
  if (!meta?.isTensor) throw new Error(`no tensor metadata for ${pastNames[0]}`);
  if (meta.type !== 'float32' && meta.type !== 'float16') {
    throw new Error(`the cache is ${meta.type}; this engine serves float32 and float16 caches`);
  }
  const shape = meta.shape;
  const heads = typeof shape[1] === 'number' ? shape[1] : Number.NaN;
  const headDim = typeof shape[3] === 'number' ? shape[3] : Number.NaN;
  if (shape.length !== 4 || !Number.isInteger(heads) || !Number.isInteger(headDim)) {
    throw new Error(
      `the cache ${pastNames[0]} has shape [${shape.join(', ')}]; expected [batch, heads, seq, dim]`,
    );
  }
  return {
    pastNames,
    presentNames,
    kvType: meta.type,
    heads,
    headDim,
    hasPositionIds: inputs.has('position_ids'),
    hasUseCacheBranch: inputs.has('use_cache_branch'),
    hasNumLogitsToKeep: inputs.has('num_logits_to_keep'),
    kvBytesPerToken: pastNames.length * heads * headDim * (meta.type === 'float16' ? 2 : 4),
  };
}

/**
 * One cache tensor for a batch: [rows, heads, len, headDim], each row's tokens right-aligned (left padding).
 * Kept as onnxruntime tensors so a step's present.* become the next step's past without a copy.
 */
export interface BatchCache {
  tensors: ort.Tensor[];
  len: number;
}

export function emptyKv(layout: DecoderLayout, rows: number, len: number): ort.Tensor[] {
  return layout.pastNames.map(() => newKvTensor(layout, rows, len));
}

function newKvTensor(layout: DecoderLayout, rows: number, len: number): ort.Tensor {
  const n = rows * layout.heads * len * layout.headDim;
  const data: KvArray = layout.kvType === 'float16' ? new Uint16Array(n) : new Float32Array(n);
  return new ort.Tensor(layout.kvType, data, [rows, layout.heads, len, layout.headDim]);
}

/**
 * Builds a cache of `rows.length` rows and length `len` from rows of other caches: row r takes the last
 * `keep[r]` positions of row `rows[r].row` of `rows[r].from` (right-aligned, padded on the left).
 */
export function gatherKv(
  layout: DecoderLayout,
  len: number,
  rows: { from: ort.Tensor[]; row: number; keep: number }[],
): ort.Tensor[] {
  return layout.pastNames.map((_, li) => {
    const out = newKvTensor(layout, rows.length, len);
    const dst = out.data as KvArray;
    const D = layout.headDim;
    const H = layout.heads;
    rows.forEach((r, ri) => {
      const src = r.from[li];
      const srcLen = src.dims[2];
      const srcData = src.data as KvArray;
      for (let h = 0; h < H; h++) {
        const srcStart = ((r.row * H + h) * srcLen + (srcLen - r.keep)) * D;
        const dstStart = ((ri * H + h) * len + (len - r.keep)) * D;
        dst.set(srcData.subarray(srcStart, srcStart + r.keep * D), dstStart);
      }
    });
    return out;
  });
}

export function int64(values: ArrayLike<number>, dims: number[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(Array.from(values, (v) => BigInt(v))), dims);
}

/** Logits as float32, [rows × positions × vocab]. */
export function logitsOf(t: ort.Tensor): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') {
    const src = t.data as Uint16Array;
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = fromHalf(src[i]);
    return out;
  }
  throw new Error(`logits are ${t.type}; expected float32 or float16`);
}

function fromHalf(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}
