// The summarizer's ranking core as an ONNX graph, built by our own code and cached in memory.
// Every op used here (MatMul, ReduceSum, Where, EyeLike, ...) has a CUDA kernel, so the same
// bytes run on a GPU rig or on CPU.
import { GraphBuilder } from '../../engine/onnx-builder';
import { DAMPING, EPS, ITERATIONS } from './rank-math';

export const RANK_INPUTS = { tfidf: 'tfidf', residualSq: 'residual_sq', prior: 'prior' } as const;
export const RANK_OUTPUTS = { scores: 'scores', similarity: 'similarity' } as const;

export function buildRankGraph(iterations = ITERATIONS, damping = DAMPING): Uint8Array {
  const g = new GraphBuilder('cocoon_lexrank');
  const x = g.input(RANK_INPUTS.tfidf, 'float', ['n', 'v']);
  const residual = g.input(RANK_INPUTS.residualSq, 'float', ['n']);
  const prior = g.input(RANK_INPUTS.prior, 'float', ['n']);

  const axis1 = g.vec('int64', [1]);
  const axis0 = g.vec('int64', [0]);
  const eps = g.scalar('float', EPS);

  // Cosine similarity: rows divided by their full norm (shared columns + residual mass).
  const sq = g.op('Mul', [x, x]);
  const rowSq = g.op('ReduceSum', [sq, axis1], { keepdims: { int: 0 } });
  const norm = g.op('Max', [g.op('Sqrt', [g.op('Add', [rowSq, residual])]), eps]);
  const xn = g.op('Div', [x, g.op('Unsqueeze', [norm, axis1])]);
  const cos = g.op('MatMul', [xn, g.op('Transpose', [xn], { perm: { ints: [1, 0] } })]);
  const offDiagonal = g.op('Sub', [g.scalar('float', 1), g.op('EyeLike', [cos])]);
  const sim = g.op('Mul', [cos, offDiagonal], {}, RANK_OUTPUTS.similarity);

  // Row-stochastic transitions; dangling rows teleport by the prior.
  const rowSum = g.op('ReduceSum', [sim, axis1], { keepdims: { int: 1 } });
  const priorRow = g.op('Unsqueeze', [prior, axis0]);
  const hasEdges = g.op('Greater', [rowSum, g.scalar('float', 0)]);
  const m = g.op('Where', [hasEdges, g.op('Div', [sim, g.op('Max', [rowSum, eps])]), priorRow]);

  // Fixed-count power iteration, unrolled: the count is part of the model, like the damping.
  const teleport = g.op('Mul', [priorRow, g.scalar('float', 1 - damping)]);
  const d = g.scalar('float', damping);
  let r = priorRow;
  for (let i = 0; i < iterations; i++) {
    r = g.op('Add', [teleport, g.op('Mul', [g.op('MatMul', [r, m]), d])]);
  }
  g.op('Squeeze', [r, axis0], {}, RANK_OUTPUTS.scores);
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
