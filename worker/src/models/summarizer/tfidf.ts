// TF-IDF vectors for the ranking graph. Terms that occur in only one sentence can't link two
// sentences, so they don't become columns: their weight only enters each row's norm (residualSq).
// That keeps the dense matrix small without changing a single cosine.
export interface TfidfMatrix {
  n: number;
  v: number;
  tfidf: Float32Array;
  residualSq: Float32Array;
  /** Sparse rows (term → weight) and full norms, for redundancy checks in TypeScript. */
  rows: Map<string, number>[];
  norms: Float64Array;
}

export const DEFAULT_MAX_COLUMNS = 4096;

export function buildTfidf(termLists: readonly string[][], maxColumns = DEFAULT_MAX_COLUMNS): TfidfMatrix {
  const n = termLists.length;
  const df = new Map<string, number>();
  const counts = termLists.map((terms) => {
    const c = new Map<string, number>();
    for (const t of terms) c.set(t, (c.get(t) ?? 0) + 1);
    for (const t of c.keys()) df.set(t, (df.get(t) ?? 0) + 1);
    return c;
  });
  const idf = (t: string) => Math.log((1 + n) / (1 + (df.get(t) ?? 0))) + 1;

  // Shared terms, most widely shared first; ties by name so the layout is deterministic.
  const shared = [...df.entries()]
    .filter(([, d]) => d >= 2)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, maxColumns)
    .map(([t]) => t);
  const column = new Map(shared.map((t, i) => [t, i]));
  const v = Math.max(1, shared.length);

  const tfidf = new Float32Array(n * v);
  const residualSq = new Float32Array(n);
  const rows: Map<string, number>[] = [];
  const norms = new Float64Array(n);
  counts.forEach((c, i) => {
    const row = new Map<string, number>();
    let residual = 0;
    let normSq = 0;
    for (const [t, count] of c) {
      const w = (1 + Math.log(count)) * idf(t);
      row.set(t, w);
      normSq += w * w;
      const col = column.get(t);
      if (col === undefined) residual += w * w;
      else tfidf[i * v + col] = w;
    }
    residualSq[i] = residual;
    rows.push(row);
    norms[i] = Math.sqrt(normSq);
  });
  return { n, v, tfidf, residualSq, rows, norms };
}

export function cosine(m: TfidfMatrix, i: number, j: number): number {
  if (m.norms[i] === 0 || m.norms[j] === 0) return 0;
  const [small, large] = m.rows[i].size <= m.rows[j].size ? [m.rows[i], m.rows[j]] : [m.rows[j], m.rows[i]];
  let dot = 0;
  for (const [t, w] of small) dot += w * (large.get(t) ?? 0);
  return dot / (m.norms[i] * m.norms[j]);
}
