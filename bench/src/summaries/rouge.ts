// ROUGE-1, ROUGE-2 and ROUGE-L F1 (Lin, 2004) of a summary against one reference. Tokens are lower-cased
// runs of letters and digits (any script); no stemming and no stop-word removal, so figures run a little
// below those of the Perl script with -m. ROUGE-L is the longest common subsequence of the two token
// sequences (summary level, as one sequence each), F1 with β = 1.

/** Tokens either side may have: longer inputs are cut here, so the LCS table stays bounded. */
export const ROUGE_MAX_TOKENS = 4000;

export interface RougeScore {
  precision: number;
  recall: number;
  f1: number;
}

export interface Rouge {
  rouge1: RougeScore;
  rouge2: RougeScore;
  rougeL: RougeScore;
}

export function rougeTokens(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, ROUGE_MAX_TOKENS);
}

function score(overlap: number, candidate: number, reference: number): RougeScore {
  const precision = candidate > 0 ? overlap / candidate : 0;
  const recall = reference > 0 ? overlap / reference : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const g = tokens.slice(i, i + n).join('\u0000');
    counts.set(g, (counts.get(g) ?? 0) + 1);
  }
  return counts;
}

/** ROUGE-N: n-grams in common (each counted at most as often as the reference has it). */
export function rougeN(candidate: readonly string[], reference: readonly string[], n: number): RougeScore {
  const c = ngramCounts(candidate, n);
  const r = ngramCounts(reference, n);
  let overlap = 0;
  for (const [g, k] of c) overlap += Math.min(k, r.get(g) ?? 0);
  return score(overlap, Math.max(0, candidate.length - n + 1), Math.max(0, reference.length - n + 1));
}

/** Length of the longest common subsequence, in O(|a|·|b|) time and O(|b|) memory. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  let prev = new Uint32Array(b.length + 1);
  let row = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++)
      row[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], row[j - 1]);
    [prev, row] = [row, prev];
  }
  return prev[b.length];
}

export function rougeL(candidate: readonly string[], reference: readonly string[]): RougeScore {
  return score(lcsLength(candidate, reference), candidate.length, reference.length);
}

export function rouge(candidate: string, reference: string): Rouge {
  const c = rougeTokens(candidate);
  const r = rougeTokens(reference);
  return { rouge1: rougeN(c, r, 1), rouge2: rougeN(c, r, 2), rougeL: rougeL(c, r) };
}
