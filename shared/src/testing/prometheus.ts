// The Prometheus text format (0.0.4), read back strictly: for tests of the proxy's /metrics and the worker's
// metrics port. Throws with the line on anything malformed.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SUFFIXES: Record<string, string[]> = {
  counter: ['_total', ''],
  gauge: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
  untyped: [''],
};

/**
 * The Prometheus text format (0.0.4), strictly: HELP and TYPE once per family and before its samples, every
 * sample of a declared family (with its type's suffixes), label names and escaped values well formed, no
 * duplicate series, values that are floats (or +Inf, -Inf, NaN), histogram buckets cumulative with +Inf = count.
 */
export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  for (const [i, line] of text.slice(0, -1).split('\n').entries()) {
    const where = `line ${i + 1}: ${line}`;
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      if (!NAME.test(name)) throw new Error(`bad metric name, ${where}`);
      if (kind === 'HELP') {
        if (helps.has(name)) throw new Error(`second HELP, ${where}`);
        helps.add(name);
      } else {
        if (types.has(name)) throw new Error(`second TYPE, ${where}`);
        if (!(rest in SUFFIXES)) throw new Error(`unknown type, ${where}`);
        if (samples.some((s) => familyOf(s.name, types) === name))
          throw new Error(`TYPE after samples, ${where}`);
        types.set(name, rest);
      }
      continue;
    }
    if (line.startsWith('#')) continue; // a comment
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    if (!m) throw new Error(`not a sample, ${where}`);
    const [, name, , body, raw] = m;
    const labels = body === undefined ? {} : parseLabels(body, where);
    const value = parseValue(raw, where);
    if (familyOf(name, types) === null) throw new Error(`sample of no declared family, ${where}`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`duplicate series, ${where}`);
    seen.add(key);
    samples.push({ name, labels, value });
  }
  checkHistograms({ types, samples });
  return { types, samples };
}

/** The family a sample belongs to (its name less its type's suffix), or null. */
export function familyOf(sample: string, types: Map<string, string>): string | null {
  for (const [family, type] of types) {
    if (SUFFIXES[type].some((suffix) => sample === family + suffix)) return family;
  }
  return null;
}

function parseLabels(body: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = body;
  while (rest.length) {
    const m = /^([^=]+)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
    if (!m || !LABEL.test(m[1])) throw new Error(`bad labels, ${where}`);
    if (m[1] in labels) throw new Error(`label twice, ${where}`);
    labels[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(m[0].length);
  }
  return labels;
}

function parseValue(raw: string, where: string): number {
  if (raw === '+Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  if (raw === 'NaN') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) throw new Error(`bad value, ${where}`);
  return Number(raw);
}

function checkHistograms({ types, samples }: Exposition): void {
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const s of samples.filter((s) => s.name === `${family}_bucket`)) {
      const { le, ...rest } = s.labels;
      if (le === undefined) throw new Error(`${family} bucket without le`);
      const key = JSON.stringify(Object.entries(rest).sort());
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      const values = buckets.map((b) => b.value);
      if (values.some((v, i) => i > 0 && v < values[i - 1]))
        throw new Error(`${family} buckets not cumulative`);
      if (buckets.at(-1)?.labels.le !== '+Inf') throw new Error(`${family}: the last bucket is not +Inf`);
      const count = samples.find(
        (s) => s.name === `${family}_count` && JSON.stringify(Object.entries(s.labels).sort()) === key,
      );
      if (count?.value !== buckets.at(-1)?.value) throw new Error(`${family}: _count is not the +Inf bucket`);
    }
  }
}

/** The value of one series, 0 when absent. */
export function seriesValue(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const s = e.samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return s?.value ?? 0;
}
