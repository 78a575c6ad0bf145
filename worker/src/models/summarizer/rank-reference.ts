// Plain-TypeScript reference of the ranking math (float64). Tests hold the ONNX graph to it.
import { DAMPING, EPS, ITERATIONS, type RankInput } from './rank-math';

export interface ReferenceRanking {
  scores: Float64Array;
  /** Row-major n×n cosine similarity with a zero diagonal. */
  similarity: Float64Array;
}

export function rankReference(
  input: RankInput,
  iterations = ITERATIONS,
  damping = DAMPING,
): ReferenceRanking {
  const { n, v, tfidf, residualSq, prior } = input;
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = residualSq[i];
    for (let k = 0; k < v; k++) s += tfidf[i * v + k] ** 2;
    norms[i] = Math.max(Math.sqrt(s), EPS);
  }
  const similarity = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < v; k++) dot += tfidf[i * v + k] * tfidf[j * v + k];
      const c = dot / (norms[i] * norms[j]);
      similarity[i * n + j] = c;
      similarity[j * n + i] = c;
    }
  }
  // Row-stochastic transition matrix; rows without edges follow the prior.
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    let rowSum = 0;
    for (let j = 0; j < n; j++) rowSum += similarity[i * n + j];
    for (let j = 0; j < n; j++) {
      m[i * n + j] = rowSum > 0 ? similarity[i * n + j] / Math.max(rowSum, EPS) : prior[j];
    }
  }
  let r = Float64Array.from(prior);
  for (let it = 0; it < iterations; it++) {
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const ri = r[i];
      if (ri === 0) continue;
      for (let j = 0; j < n; j++) next[j] += ri * m[i * n + j];
    }
    for (let j = 0; j < n; j++) next[j] = (1 - damping) * prior[j] + damping * next[j];
    r = next;
  }
  return { scores: r, similarity };
}
