// GET /metrics: the operator's admin key alone, the Prometheus text format (read back with a strict parser
// below), series that move when a job runs, and a Grafana dashboard that queries only series that exist.
import { readFileSync } from 'node:fs';
import { METRICS_PATH } from '@cocoon/shared';
import { type Exposition, familyOf, parseExposition, seriesValue } from '@cocoon/shared/testing/prometheus';
import { describe, expect, it } from 'vitest';
import { DEV_ADMIN_KEY } from '../config';
import { SYSTEM_ACCOUNTS } from '../metrics';
import { userClient } from '../testing/harness';
import { useTestBed } from '../testing/test-bed';

const bed = useTestBed();
const ADMIN = { authorization: `Admin ${DEV_ADMIN_KEY}` };

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
    // A watcher that stopped scanning shows as lag: stopped here, its last scan set 90 s back.
    await bed.proxy.ctx.ton.watcher.stop();
    await bed.db.query(
      `INSERT INTO ton_watcher_cursor (id, cursor, updated_at) VALUES ('service-wallet', 'null', now() - interval '90 seconds')
       ON CONFLICT (id) DO UPDATE SET updated_at = now() - interval '90 seconds'`,
    );
    const lagging = seriesValue(await scrape(), 'cocoon_chain_watcher_lag_seconds');
    expect(lagging).toBeGreaterThanOrEqual(89);

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
    expect(seriesValue(after, 'cocoon_job_overhead_seconds_count', { model: 'test-echo' })).toBe(1);
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
