// The decoder graph of a Llama / Qwen2 model as Hugging Face Optimum exports it (the onnx-community
// layout transformers.js loads): input_ids, attention_mask, position_ids and past_key_values.{i}.key/value in;
// logits and present.{i}.key/value out, with the same dimension names. Plain ONNX ops only: RMSNorm,
// rotary embeddings from position_ids, grouped-query attention with a causal + padding mask, SiLU-gated MLP.
// Weights are lazy (GraphBuilder.lazyInit), so a 2 GB model streams to disk one tensor at a time.
import { GraphBuilder } from '../../../engine/onnx-builder';
import {
  floatBytes,
  initWeights,
  quantizeBlocks4,
  quantizeColumns,
  transpose,
  uniformWeights,
} from './weights';

export interface DecoderShape {
  hiddenSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  intermediateSize: number;
  vocabSize: number;
  ropeTheta: number;
  rmsNormEps: number;
  /** Qwen2: q, k and v projections have biases. */
  qkvBias: boolean;
  /** lm_head is the embedding matrix (tie_word_embeddings). */
  tied: boolean;
  seed: number;
  /** Standard deviation of the random init (Hugging Face's initializer_range). */
  initStd: number;
}

/** How MatMul weights are stored: fp32, or int8 per column with dynamically quantized activations (q8). */
export type WeightFormat = 'fp32' | 'q8' | 'q4';

/** Block size of the q4 format along the input dimension (hidden and intermediate sizes must divide by it). */
export const Q4_BLOCK = 32;

export const headDim = (s: DecoderShape) => s.hiddenSize / s.heads;

/** Finite, like torch.finfo(float32).min that transformers uses for masked positions. */
const MASKED = -3.4028234663852886e38;

export function buildDecoderGraph(shape: DecoderShape, format: WeightFormat): GraphBuilder {
  const g = new GraphBuilder(`${format}-decoder`);
  const ctx = new Ctx(g, shape, format);
  const D = headDim(shape);
  const inputIds = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const mask = g.input('attention_mask', 'int64', ['batch_size', 'total_sequence_length']);
  const positions = g.input('position_ids', 'int64', ['batch_size', 'sequence_length']);
  for (let i = 0; i < shape.layers; i++) {
    for (const kind of ['key', 'value']) {
      g.input(`past_key_values.${i}.${kind}`, 'float', [
        'batch_size',
        shape.kvHeads,
        'past_sequence_length',
        D,
      ]);
    }
  }
  g.output('logits', 'float', ['batch_size', 'sequence_length', shape.vocabSize]);
  for (let i = 0; i < shape.layers; i++) {
    for (const kind of ['key', 'value']) {
      g.output(`present.${i}.${kind}`, 'float', ['batch_size', shape.kvHeads, 'total_sequence_length', D]);
    }
  }

  const embedName = 'model.embed_tokens.weight';
  const embed = ctx.weight(embedName, [shape.vocabSize, shape.hiddenSize], shape.initStd);
  let x = g.op('Gather', [embed, inputIds], { axis: { int: 0 } });
  const rope = ropeTables(g, shape, positions);
  const bias = attentionBias(g, inputIds, mask);
  for (let i = 0; i < shape.layers; i++) {
    const p = `model.layers.${i}`;
    const h = ctx.rmsNorm(x, `${p}.input_layernorm.weight`);
    x = g.op('Add', [x, attention(ctx, h, i, rope, bias)]);
    const h2 = ctx.rmsNorm(x, `${p}.post_attention_layernorm.weight`);
    x = g.op('Add', [x, mlp(ctx, h2, p)]);
  }
  x = ctx.rmsNorm(x, 'model.norm.weight');
  g.op('Identity', [lmHead(ctx, x, inputIds)], {}, 'logits');
  return g;
}

/** Shared helpers that know the shape, the seed and the weight format. */
class Ctx {
  constructor(
    readonly g: GraphBuilder,
    readonly s: DecoderShape,
    readonly format: WeightFormat,
  ) {}

  /** A float weight (row-major `dims`), random by seed and name. */
  weight(name: string, dims: number[], std: number, center = 0): string {
    const count = dims.reduce((a, b) => a * b, 1);
    const seed = this.s.seed;
    const make =
      center === 0
        ? () => floatBytes(initWeights(seed, name, count, std))
        : () => floatBytes(uniformWeights(seed, name, count, std * Math.sqrt(3), center));
    return this.g.lazyInit('float', dims, make, name);
  }

  /** x · W for a weight stored [in × out] (Optimum's transposed Linear), in this model's format. */
  linear(x: string, name: string, inDim: number, outDim: number, biasName?: string): string {
    const seed = this.s.seed;
    const std = this.s.initStd;
    let y: string;
    if (this.format === 'fp32') {
      y = this.g.op('MatMul', [x, this.weight(name, [inDim, outDim], std)]);
    } else if (this.format === 'q4') {
      y = this.q4linear(x, name, inDim, outDim, () =>
        transpose(initWeights(seed, name, inDim * outDim, std), inDim, outDim),
      );
    } else {
      y = this.qlinear(x, name, inDim, outDim, () => initWeights(seed, name, inDim * outDim, std));
    }
    if (!biasName) return y;
    return this.g.op('Add', [y, this.weight(biasName, [outDim], std)]);
  }

  /**
   * onnxruntime's quantize_dynamic pattern: activations quantized to uint8 per call (DynamicQuantizeLinear),
   * int8 weights with a scale per output column, MatMulInteger, then both scales applied.
   */
  qlinear(x: string, name: string, inDim: number, outDim: number, floats: () => Float32Array): string {
    const g = this.g;
    let cached: { q: Int8Array; scale: Float32Array } | undefined;
    const quantized = () => {
      cached ??= quantizeColumns(floats(), inDim, outDim);
      return cached;
    };
    const wq = g.lazyInit(
      'int8',
      [inDim, outDim],
      () => {
        const { q } = quantized();
        return new Uint8Array(q.buffer, q.byteOffset, q.byteLength);
      },
      `${name}_quantized`,
    );
    const ws = g.lazyInit(
      'float',
      [outDim],
      () => {
        const { scale } = quantized();
        cached = undefined; // written right after the int8 tensor: free it
        return floatBytes(scale);
      },
      `${name}_scale`,
    );
    const [xq, xs, xz] = g.opN('DynamicQuantizeLinear', [x], 3);
    const y = g.op('MatMulInteger', [xq, wq, xz]);
    const yf = g.op('Cast', [y], { to: { int: 1 } });
    return g.op('Mul', [yf, g.op('Mul', [xs, ws])]);
  }

  /**
   * Weight-only 4-bit (MatMulNBits, com.microsoft): activations stay float, so outputs don't depend on what
   * else is in the batch. `rowsNK` gives the weight as [out × in], the layout MatMulNBits blocks.
   */
  q4linear(x: string, name: string, inDim: number, outDim: number, rowsNK: () => Float32Array): string {
    const g = this.g;
    const blocks = inDim / Q4_BLOCK;
    let cached: { packed: Uint8Array; scales: Float32Array } | undefined;
    const quantized = () => {
      cached ??= quantizeBlocks4(rowsNK(), outDim, inDim, Q4_BLOCK);
      return cached;
    };
    const wq = g.lazyInit('uint8', [outDim, blocks, Q4_BLOCK / 2], () => quantized().packed, `${name}_Q4`);
    const ws = g.lazyInit(
      'float',
      [outDim * blocks],
      () => {
        const { scales } = quantized();
        cached = undefined;
        return floatBytes(scales);
      },
      `${name}_scales`,
    );
    const attrs = { K: { int: inDim }, N: { int: outDim }, bits: { int: 4 }, block_size: { int: Q4_BLOCK } };
    return g.opN('MatMulNBits', [x, wq, ws], 1, attrs, 'com.microsoft')[0];
  }

  /** x / sqrt(mean(x²) + eps) · w, in the op pattern onnxruntime fuses into SimplifiedLayerNormalization. */
  rmsNorm(x: string, name: string): string {
    const g = this.g;
    const w = this.weight(name, [this.s.hiddenSize], 0.05, 1);
    const variance = g.op('ReduceMean', [g.op('Pow', [x, g.scalar('float', 2)])], {
      axes: { ints: [-1] },
      keepdims: { int: 1 },
    });
    const denom = g.op('Sqrt', [g.op('Add', [variance, g.scalar('float', this.s.rmsNormEps)])]);
    return g.op('Mul', [w, g.op('Div', [x, denom])]);
  }

  int64(values: number[]): string {
    return this.g.vec('int64', values);
  }
}

interface Rope {
  cos: string;
  sin: string;
}

/** cos and sin of position · inv_freq, [batch, 1, seq, head_dim], once for all layers. */
function ropeTables(g: GraphBuilder, s: DecoderShape, positions: string): Rope {
  const D = headDim(s);
  const invFreq = Array.from({ length: D / 2 }, (_, i) => 1 / s.ropeTheta ** ((2 * i) / D));
  const pos = g.op('Unsqueeze', [g.op('Cast', [positions], { to: { int: 1 } }), g.vec('int64', [-1])]);
  const freqs = g.op('Mul', [pos, g.vec('float', invFreq)]);
  const emb = g.op('Concat', [freqs, freqs], { axis: { int: -1 } });
  const axis1 = g.vec('int64', [1]);
  return {
    cos: g.op('Unsqueeze', [g.op('Cos', [emb]), axis1]),
    sin: g.op('Unsqueeze', [g.op('Sin', [emb]), axis1]),
  };
}

/** x·cos + rotate_half(x)·sin, x: [batch, heads, seq, head_dim]. */
function applyRope(g: GraphBuilder, x: string, rope: Rope, D: number): string {
  const axes = g.vec('int64', [-1]);
  const first = g.op('Slice', [x, g.vec('int64', [0]), g.vec('int64', [D / 2]), axes]);
  const second = g.op('Slice', [x, g.vec('int64', [D / 2]), g.vec('int64', [D]), axes]);
  const rotated = g.op('Concat', [g.op('Neg', [second]), first], { axis: { int: -1 } });
  return g.op('Add', [g.op('Mul', [x, rope.cos]), g.op('Mul', [rotated, rope.sin])]);
}

/**
 * The additive mask, [batch, 1, 1, seq, total]: 0 where query i (at absolute position past + i) may see key j
 * (j ≤ past + i and attention_mask[j] = 1), a very negative number elsewhere.
 */
function attentionBias(g: GraphBuilder, inputIds: string, mask: string): string {
  const dim1 = (t: string) =>
    g.op('Squeeze', [g.op('Shape', [t], { start: { int: 1 }, end: { int: 2 } }), g.vec('int64', [0])]);
  const total = dim1(mask);
  const seq = dim1(inputIds);
  const one = g.scalar('int64', 1);
  const past = g.op('Sub', [total, seq]);
  const qpos = g.op('Unsqueeze', [g.op('Range', [past, total, one]), g.vec('int64', [1])]);
  const kpos = g.op('Unsqueeze', [g.op('Range', [g.scalar('int64', 0), total, one]), g.vec('int64', [0])]);
  const causal = g.op('LessOrEqual', [kpos, qpos]);
  const padding = g.op('Unsqueeze', [g.op('Cast', [mask], { to: { int: 9 } }), g.vec('int64', [1, 2])]);
  const allowed = g.op('And', [causal, padding]);
  const bias = g.op('Where', [allowed, g.scalar('float', 0), g.scalar('float', MASKED)]);
  return g.op('Unsqueeze', [bias, g.vec('int64', [2])]);
}

/** Self-attention of layer i; writes present.{i}.key/value. */
function attention(ctx: Ctx, h: string, i: number, rope: Rope, bias: string): string {
  const { g, s } = ctx;
  const D = headDim(s);
  const groups = s.heads / s.kvHeads;
  const p = `model.layers.${i}.self_attn`;
  const H = s.hiddenSize;
  const proj = (name: string, heads: number) => {
    const y = ctx.linear(h, `${p}.${name}.weight`, H, heads * D, s.qkvBias ? `${p}.${name}.bias` : undefined);
    const split = g.op('Reshape', [y, ctx.int64([0, 0, heads, D])]);
    return g.op('Transpose', [split], { perm: { ints: [0, 2, 1, 3] } });
  };
  const q = applyRope(g, proj('q_proj', s.heads), rope, D);
  const k = applyRope(g, proj('k_proj', s.kvHeads), rope, D);
  const v = proj('v_proj', s.kvHeads);
  const key = g.op('Concat', [`past_key_values.${i}.key`, k], { axis: { int: 2 } }, `present.${i}.key`);
  const value = g.op('Concat', [`past_key_values.${i}.value`, v], { axis: { int: 2 } }, `present.${i}.value`);
  // Grouped-query attention without copying K/V: queries [b, kv, groups, s, d] against keys [b, kv, 1, d, t].
  const q5 = g.op('Reshape', [q, ctx.int64([0, s.kvHeads, groups, -1, D])]);
  const kT = g.op('Unsqueeze', [g.op('Transpose', [key], { perm: { ints: [0, 1, 3, 2] } }), ctx.int64([2])]);
  const scores = g.op('Mul', [g.op('MatMul', [q5, kT]), g.scalar('float', 1 / Math.sqrt(D))]);
  const probs = g.op('Softmax', [g.op('Add', [scores, bias])], { axis: { int: -1 } });
  const out5 = g.op('MatMul', [probs, g.op('Unsqueeze', [value, ctx.int64([2])])]);
  const heads = g.op('Reshape', [out5, ctx.int64([0, s.heads, -1, D])]);
  const merged = g.op('Reshape', [
    g.op('Transpose', [heads], { perm: { ints: [0, 2, 1, 3] } }),
    ctx.int64([0, 0, s.heads * D]),
  ]);
  return ctx.linear(merged, `${p}.o_proj.weight`, s.heads * D, H);
}

/** down(silu(gate(h)) · up(h)). */
function mlp(ctx: Ctx, h: string, p: string): string {
  const { g, s } = ctx;
  const gate = ctx.linear(h, `${p}.mlp.gate_proj.weight`, s.hiddenSize, s.intermediateSize);
  const up = ctx.linear(h, `${p}.mlp.up_proj.weight`, s.hiddenSize, s.intermediateSize);
  const act = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]);
  return ctx.linear(act, `${p}.mlp.down_proj.weight`, s.intermediateSize, s.hiddenSize);
}

/** Logits [batch, seq, vocab]: the embedding matrix transposed when tied, lm_head.weight otherwise. */
function lmHead(ctx: Ctx, x: string, inputIds: string): string {
  const { g, s } = ctx;
  const H = s.hiddenSize;
  const V = s.vocabSize;
  if (!s.tied) return ctx.linear(x, 'lm_head.weight', H, V);
  const embedName = 'model.embed_tokens.weight';
  const seed = s.seed;
  if (ctx.format === 'q4') {
    // MatMulNBits blocks the weight as [vocab × hidden]: the embedding as it is.
    return ctx.q4linear(x, 'lm_head.weight', H, V, () => initWeights(seed, embedName, V * H, s.initStd));
  }
  if (ctx.format === 'q8') {
    // The tied head quantized on its own: the embedding transposed to [hidden × vocab], per vocab column.
    return ctx.qlinear(x, 'lm_head.weight', H, V, () =>
      transpose(initWeights(seed, embedName, V * H, s.initStd), V, H),
    );
  }
  // Gemm with transB reads the [vocab × hidden] embedding as it is: no transposed copy of the largest tensor.
  const flat = g.op('Reshape', [x, ctx.int64([-1, H])]);
  const logits = g.op('Gemm', [flat, embedName], { transB: { int: 1 } });
  const outShape = g.op('Concat', [g.op('Shape', [inputIds]), ctx.int64([V])], { axis: { int: 0 } });
  return g.op('Reshape', [logits, outShape]);
}
