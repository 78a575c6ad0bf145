// Ranking scores → the sentences of a summary, decided so that every rig picks the same ones.
// The scores come from a float graph whose last bits depend on where it ran (onnxruntime's CPU
// kernels differ per instruction set, CUDA sums in another order), so no decision here compares
// raw floats: scores are first snapped to a grid and compared as integers, ties go to the earlier
// sentence, and sentences that are provably tied get the very same score.
//
// The other float test in the selection, the near-duplicate cosine, is computed in plain JS
// float64 from the TF-IDF rows (tfidf.ts `cosine`: fixed iteration order, IEEE + - * / and
// Math.sqrt, plus V8's platform-independent Math.log), never by onnxruntime, so it is the same
// on every rig whatever its thread count or device; it needs no grid.

/**
 * Grid steps per average score. A sentence's score times n (1 = the average sentence) is rounded
 * to 1/SCORE_GRID_STEPS = 1e-3 of the average.
 *
 * Why this step: the graph computes in float64 (rank-graph.ts), so rigs differ by ~1e-15 of a
 * score before its one rounding to float32; even a float32 graph run without TF32 differs by
 * ~1e-6 (measured: CPU and an H200, against a float64 reference). Both are far below the step,
 * so an exact tie (true scores equal) rounds differently on two rigs only when it falls within
 * that noise of a rounding midpoint (≈ 2·noise/step: ~1e-12 in float64, ~2e-3 of such ties in
 * float32). The step is still finer than anything the scores can tell apart: the graph stops
 * power iteration after 50 steps, which leaves an error of up to 0.85^50 ≈ 3e-4 of a score, so
 * scores closer than ~1e-3 of the average carry no ranking signal and may as well be decided by
 * position.
 *
 * Rounding does not make *near* ties (true scores different by less than the noise) safe, and
 * no grid can: it only moves where the boundary lies. What it removes is the coin toss between
 * sentences whose true scores are equal, the case symmetric chats produce.
 */
export const SCORE_GRID_STEPS = 1000;

/** Sentences scoring below half the average (0.5 / n) are noise; in grid steps. */
export const FLOOR_STEPS = SCORE_GRID_STEPS / 2;

/** A candidate whose TF-IDF cosine with an already picked sentence exceeds this is a near-duplicate. */
export const NEAR_DUPLICATE_COSINE = 0.6;

/** A score on the grid, as an integer number of steps (`n` = sentences ranked). */
export function quantizeScore(score: number, n: number): number {
  // score ≤ 1 and n ≤ 20,000 keep this well inside the exact-integer range of a double.
  return Math.round(score * n * SCORE_GRID_STEPS);
}

/** The score a quantized value stands for (what a summary reports: the same on every rig). */
export function dequantizeScore(steps: number, n: number): number {
  return steps / (n * SCORE_GRID_STEPS);
}

/**
 * Sentences with the same key (same term multiset, hence the same TF-IDF row, and the same prior)
 * have equal true scores: swapping them is a symmetry of the ranking. Float noise can still split
 * them by an ulp, so each gets the score of the first sentence with its key.
 */
export function shareTiedScores(scores: ArrayLike<number>, keys: readonly string[]): Float64Array {
  const out = Float64Array.from(scores as ArrayLike<number>);
  const first = new Map<string, number>();
  keys.forEach((key, i) => {
    const j = first.get(key);
    if (j === undefined) first.set(key, i);
    else out[i] = out[j];
  });
  return out;
}

/** Key for shareTiedScores: the sentence's terms (as a multiset) and its prior weight. */
export function tieKey(terms: readonly string[], prior: number): string {
  return `${prior}\u0001${[...terms].sort().join('\u0000')}`;
}

/** Sentence indexes by quantized score, highest first; equal scores keep sentence order. */
export function rankOrder(quantized: readonly number[]): number[] {
  return quantized.map((_, i) => i).sort((a, b) => quantized[b] - quantized[a] || a - b);
}

export interface SelectionInput {
  /** Raw ranking scores (sum ≈ 1), one per sentence. */
  scores: ArrayLike<number>;
  /** Per sentence: false for filler ("ok", "lol", emoji), which is only picked when nothing else exists. */
  substantive: readonly boolean[];
  /** Most sentences to pick. */
  k: number;
  /** Token budget; a sentence that doesn't fit is skipped. */
  maxTokens?: number;
  /** Tokens a sentence costs in the summary. */
  cost(i: number): number;
  /** Whether candidate i repeats already picked j. Must itself be deterministic (no onnxruntime floats). */
  isNearDuplicate(i: number, j: number): boolean;
}

export interface Selection {
  /** Picked sentence indexes, in sentence order. */
  picked: number[];
  /** The candidates in rank order (the best first), for a caller that must cut one to fit. */
  candidates: number[];
  /** Quantized score per sentence (grid steps). */
  quantized: number[];
}

/** Picks a summary's sentences. Every comparison of scores is between integers (grid steps). */
export function selectSentences(input: SelectionInput): Selection {
  const n = input.scores.length;
  const quantized = Array.from(input.scores as ArrayLike<number>, (s) => quantizeScore(s, n));
  const order = rankOrder(quantized);
  const substantive = order.filter((i) => input.substantive[i]);
  // Sentences ranked far below average are noise, even when the budget has room for them.
  const strong = substantive.filter((i) => quantized[i] >= FLOOR_STEPS);
  const candidates = strong.length > 0 ? strong : substantive.length > 0 ? substantive : order;

  const picked: number[] = [];
  let used = 0;
  for (const i of candidates) {
    if (picked.length >= input.k) break;
    if (picked.some((j) => input.isNearDuplicate(i, j))) continue;
    const cost = input.cost(i);
    if (input.maxTokens !== undefined && used + cost > input.maxTokens) continue;
    picked.push(i);
    used += cost;
  }
  return { picked: picked.sort((a, b) => a - b), candidates, quantized };
}
