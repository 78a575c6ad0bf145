// The numeric core of the summarizer, shared by the ONNX graph and the TypeScript reference:
// cosine similarity of TF-IDF rows, self-loops removed, rows normalised into a Markov chain
// (a sentence with no edges jumps by the prior), then a fixed number of power-iteration steps
// of biased PageRank: r ← (1 − d)·prior + d·(r · M). Biased LexRank (Otterbacher et al., 2005).
export const DAMPING = 0.85;
export const ITERATIONS = 50;
/** Guards divisions by a zero norm / zero row sum; both branches then yield the dangling case. */
export const EPS = 1e-12;

export interface RankInput {
  /** Sentences (rows). */
  n: number;
  /** Shared-term columns (≥ 1; a zero column is fine). */
  v: number;
  /** Row-major n×v TF-IDF weights of the terms that occur in at least two sentences. */
  tfidf: Float32Array;
  /** Per sentence: squared TF-IDF mass of its terms that are not columns (they only add to the norm). */
  residualSq: Float32Array;
  /** Teleport distribution over sentences, sums to 1. */
  prior: Float32Array;
}
