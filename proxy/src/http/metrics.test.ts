// GET /metrics: the operator's admin key alone, the Prometheus text format (read back with a strict parser
// below), series that move when a job runs, and a Grafana dashboard that queries only series that exist.
import { readFileSync } from 'node:fs';
import { METRICS_PATH } from '@cocoon/shared';
import { describe, expect, it } from 'vitest';
import { DEV_ADMIN_KEY } from '../config';
import { SYSTEM_ACCOUNTS } from '../metrics';
import { userClient } from '../testing/harness';
import { useTestBed } from '../testing/test-bed';

const bed = useTestBed();
const ADMIN = { authorization: `Admin ${DEV_ADMIN_KEY}` };

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Exposition {
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
function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  expect(text.endsWith('\n')).toBe(true);
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

function familyOf(sample: string, types: Map<string, string>): string | null {
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
      expect(le, `${family} bucket without le`).toBeDefined();
      const key = JSON.stringify(Object.entries(rest).sort());
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      const values = buckets.map((b) => b.value);
      expect(values, `${family} buckets cumulative`).toEqual([...values].sort((a, b) => a - b));
      expect(buckets.at(-1)?.labels.le).toBe('+Inf');
      const count = samples.find(
        (s) => s.name === `${family}_count` && JSON.stringify(Object.entries(s.labels).sort()) === key,
      );
      expect(count?.value).toBe(buckets.at(-1)?.value);
    }
  }
}

/** The value of one series, 0 when absent. */
function seriesValue(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const s = e.samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return s?.value ?? 0;
}

async function scrape(): Promise<Exposition> {
  const res = await bed.proxy.app.inject({ method: 'GET', url: METRICS_PATH, headers: ADMIN });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(res.body);
}

/** Every metric name a dashboard panel queries. */
function dashboardSeries(): string[] {
  const dashboard = JSON.parse(
    readFileSync(new URL('../../../docs/grafana-dashboard.json', import.meta.url), 'utf8'),
  );
  const exprs: string[] = [];
  for (const panel of dashboard.panels) for (const t of panel.targets ?? []) exprs.push(t.expr);
  for (const v of dashboard.templating?.list ?? []) if (typeof v.query === 'string') exprs.push(v.query);
  expect(exprs.length).toBeGreaterThan(0);
  return [...new Set(exprs.flatMap((e) => e.match(/\bcocoon_[a-z0-9_]+/g) ?? []))].sort();
}

describe('the strict text-format parser', () => {
  it('reads a good exposition and refuses what Prometheus would', () => {
    const good = '# HELP a_b x\n# TYPE a_b gauge\na_b{l="q\\"\\n"} 1.5e3\n';
    expect(parseExposition(good).samples).toEqual([{ name: 'a_b', labels: { l: 'q"\n' }, value: 1500 }]);
    for (const bad of [
      'a_b 1\n', // no TYPE
      '# TYPE a_b gauge\na_b one\n',
      '# TYPE a_b gauge\na_b{l=1} 1\n',
      '# TYPE a_b gauge\na_b 1\na_b 2\n',
      '# TYPE a_b gauge\na_b 1', // no final newline
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n',
    ]) {
      expect(() => parseExposition(bad), bad).toThrow();
    }
  });
});

describe('GET /metrics', () => {
  it('answers 401 without the admin key, and with another key', async () => {
    await bed.start();
    for (const authorization of [undefined, 'Admin not-the-admin-key-at-all', `Bearer ${DEV_ADMIN_KEY}`]) {
      const res = await bed.proxy.app.inject({
        method: 'GET',
        url: METRICS_PATH,
        headers: authorization ? { authorization } : {},
      });
      expect(res.statusCode).toBe(401);
      expect(res.body).not.toContain('cocoon_');
    }
  });

  it('counts jobs, latency, rigs and the fees account, and they move when a job runs', async () => {
    await bed.start();
    const before = await scrape();
    expect(seriesValue(before, 'cocoon_jobs_finished_last_hour', { state: 'done', model: 'test-echo' })).toBe(
      0,
    );
    expect(seriesValue(before, 'cocoon_rigs_online', { standing: 'bonded' })).toBe(0);
    expect(seriesValue(before, 'cocoon_withdrawals_open', { status: 'pending' })).toBe(0);

    await bed.rig(1001, 1_000_000n);
    const online = await scrape();
    expect(seriesValue(online, 'cocoon_rigs_online', { standing: 'bonded' })).toBe(1); // bonds are off in tests
    expect(seriesValue(online, 'cocoon_rigs_online', { standing: 'bonded', tier: 'open' })).toBe(1);
    expect(seriesValue(online, 'cocoon_rigs_online', { standing: 'bonded', tier: 'tdx' })).toBe(0);
    const user = userClient(bed.proxy, 2001);
    const res = await user.runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'hello metrics', maxTokens: 10 },
    });

    const after = await scrape();
    expect(seriesValue(after, 'cocoon_jobs_finished_last_hour', { state: 'done', model: 'test-echo' })).toBe(
      1,
    );
    expect(seriesValue(after, 'cocoon_jobs', { state: 'running', model: 'test-echo' })).toBe(0);
    expect(seriesValue(after, 'cocoon_job_seconds_count', { model: 'test-echo' })).toBe(1);
    expect(seriesValue(after, 'cocoon_job_run_seconds_count', { model: 'test-echo' })).toBe(1);
    expect(seriesValue(after, 'cocoon_job_run_seconds_sum', { model: 'test-echo' })).toBeGreaterThan(0);
    // 2 + 2 tokens at 1,000,000 nanoTON per 1k = 4,000 to the rig, and the 10% fee to system:fees.
    expect(res.costNano).toBe(4_400n);
    expect(seriesValue(after, 'cocoon_ledger_system_balance_nanoton', { account: 'fees' })).toBe(400);
    expect(after.types.get('cocoon_job_run_seconds')).toBe('histogram');
    expect(after.types.get('cocoon_jobs')).toBe('gauge');
  });

  it('lists every system account the ledger has', async () => {
    await bed.start();
    await bed.rig(1001, 1_000_000n);
    await userClient(bed.proxy, 2001).runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'hi', maxTokens: 10 },
    });
    const r = await bed.db.query<{ id: string }>("SELECT id FROM accounts WHERE id LIKE 'system:%'");
    expect(r.rows.length).toBeGreaterThan(0);
    for (const { id } of r.rows) expect(SYSTEM_ACCOUNTS).toContain(id);
  });

  it('has every series the Grafana dashboard queries', async () => {
    await bed.start();
    await bed.rig(1001, 1_000_000n);
    await userClient(bed.proxy, 2001).runJob({
      model: 'test-echo',
      body: { kind: 'generate', prompt: 'hi', maxTokens: 10 },
    });
    const names = new Set((await scrape()).samples.map((s) => s.name));
    const queried = dashboardSeries();
    expect(queried.filter((n) => !names.has(n))).toEqual([]);
    // And the dashboard shows every family the proxy exposes.
    const { types } = await scrape();
    expect([...types.keys()].filter((f) => !queried.some((q) => familyOf(q, types) === f))).toEqual([]);
  });
});
