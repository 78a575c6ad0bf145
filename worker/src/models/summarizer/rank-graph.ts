// The summarizer's ranking core as an ONNX graph, built by our own code and cached in memory.
// Every op used here (MatMul, ReduceSum, Where, EyeLike, ...) has a CUDA kernel, so the same
// bytes run on a GPU rig or on CPU.
//
// Inputs and outputs are float32; everything between runs in float64. Two reasons, both about
// rigs agreeing on a summary (see rank-select.ts):
// - onnxruntime's CUDA provider computes float32 MatMul with TF32 tensor cores by default
//   (use_tf32 = 1, and onnxruntime-node has no way to turn it off): products of 10-bit mantissas.
//   On an H200, LexRank scores in TF32 moved up to 1e-3 of the average score from the exact ones
//   (vs ~1e-6 for IEEE float32), enough to change hundreds of the 4000 scores' grid steps. There
//   is no TF32 for float64.
// - Float64 leaves a difference of ~1e-15 between CPU kernels, thread counts and GPUs, so a
//   score rounds to a different grid step on another rig essentially never.
import { GraphBuilder } from '../../engine/onnx-builder';
import { DAMPING, EPS, ITERATIONS } from './rank-math';

export const RANK_INPUTS = { tfidf: 'tfidf', residualSq: 'residual_sq', prior: 'prior' } as const;
export const RANK_OUTPUTS = { scores: 'scores', similarity: 'similarity' } as const;

const DOUBLE = 11; // onnx.TensorProto.DataType
const FLOAT = 1;

export function buildRankGraph(iterations = ITERATIONS, damping = DAMPING): Uint8Array {
  const g = new GraphBuilder('cocoon_lexrank');
  const toDouble = (t: string) => g.op('Cast', [t], { to: { int: DOUBLE } });
  /** A float64 constant: the builder stores float32, so a value is its float32 part plus the rest. */
  const constant = (value: number) => {
    const hi = Math.fround(value);
    const lo = Math.fround(value - hi);
    const c = toDouble(g.scalar('float', hi));
    return lo === 0 ? c : g.op('Add', [c, toDouble(g.scalar('float', lo))]);
  };

  const x = toDouble(g.input(RANK_INPUTS.tfidf, 'float', ['n', 'v']));
  const residual = toDouble(g.input(RANK_INPUTS.residualSq, 'float', ['n']));
  const prior = toDouble(g.input(RANK_INPUTS.prior, 'float', ['n']));

  const axis1 = g.vec('int64', [1]);
  const axis0 = g.vec('int64', [0]);
  const eps = constant(EPS);

  // Cosine similarity: rows divided by their full norm (shared columns + residual mass).
  const sq = g.op('Mul', [x, x]);
  const rowSq = g.op('ReduceSum', [sq, axis1], { keepdims: { int: 0 } });
  const norm = g.op('Max', [g.op('Sqrt', [g.op('Add', [rowSq, residual])]), eps]);
  const xn = g.op('Div', [x, g.op('Unsqueeze', [norm, axis1])]);
  const cos = g.op('MatMul', [xn, g.op('Transpose', [xn], { perm: { ints: [1, 0] } })]);
  const offDiagonal = g.op('Sub', [constant(1), g.op('EyeLike', [cos])]);
  const sim = g.op('Mul', [cos, offDiagonal]);
  g.op('Cast', [sim], { to: { int: FLOAT } }, RANK_OUTPUTS.similarity);

  // Row-stochastic transitions; dangling rows teleport by the prior.
  const rowSum = g.op('ReduceSum', [sim, axis1], { keepdims: { int: 1 } });
  const priorRow = g.op('Unsqueeze', [prior, axis0]);
  const hasEdges = g.op('Greater', [rowSum, constant(0)]);
  const m = g.op('Where', [hasEdges, g.op('Div', [sim, g.op('Max', [rowSum, eps])]), priorRow]);

  // Fixed-count power iteration, unrolled: the count is part of the model, like the damping.
  const d = constant(damping);
  const teleport = g.op('Mul', [priorRow, constant(1 - damping)]);
  let r = priorRow;
  for (let i = 0; i < iterations; i++) {
    r = g.op('Add', [teleport, g.op('Mul', [g.op('MatMul', [r, m]), d])]);
  }
  g.op('Cast', [g.op('Squeeze', [r, axis0])], { to: { int: FLOAT } }, RANK_OUTPUTS.scores);
  g.output(RANK_OUTPUTS.scores, 'float', ['n']);
  g.output(RANK_OUTPUTS.similarity, 'float', ['n', 'n']);
  return g.toBytes();
}

let cached: Uint8Array | undefined;
/** The default graph's bytes, built once per process. */
export function rankGraphBytes(): Uint8Array {
  cached ??= buildRankGraph();
  return cached;
}
