// One row of a bench suite's results, and how rows are printed: by `npm run bench` (scripts/bench.ts, with
// each row's suite) and by a suite run on its own (`npx tsx bench/src/proxy.ts`).

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** The same figure for what this row is compared with, in the same unit. */
  baseline?: number;
  ratio?: number;
  note?: string;
}

/** A row as `npm run bench` keeps it in .bench/results.json: with the suite that measured it. */
export interface BenchRow extends BenchResult {
  suite: string;
}

/** Prints rows as one table, then each row's note on its own line. */
export function printBenchResults(rows: Array<BenchResult & { suite?: string }>): void {
  console.table(
    rows.map((r) => ({
      ...(r.suite === undefined ? {} : { suite: r.suite }),
      name: r.name,
      value: `${r.value} ${r.unit}`,
      baseline: r.baseline === undefined ? '' : `${r.baseline} ${r.unit}`,
      ratio: r.ratio ?? '',
    })),
  );
  for (const r of rows)
    if (r.note) console.log(`- ${r.suite === undefined ? '' : `${r.suite}/`}${r.name}: ${r.note}`);
}
