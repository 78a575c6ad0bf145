// The worker's metrics port: Prometheus text (read back with the strict parser the proxy's test uses), values
// that follow the worker's stats, the provider and model load times once known, 127.0.0.1 by default, and
// the --metrics-port / COCOON_METRICS_PORT settings.
import { parseExposition, seriesValue } from '@cocoon/shared/testing/prometheus';
import { afterEach, describe, expect, it } from 'vitest';
import { parseWorkerConfig } from './config';
import type { WorkerStats } from './connection';
import type { Provider } from './engine/ort-session';
import { type MetricsServer, modelLoadTimer, startMetricsServer, workerMetricsRegistry } from './metrics';

const TOKEN = 'rig_0123456789abcdef0123';

function fakeStats(): WorkerStats {
  return {
    state: 'connecting',
    rigId: null,
    device: 'cpu',
    slots: 2,
    running: 0,
    queued: 0,
    jobsDone: 0,
    jobsFailed: 0,
    promptTokens: 0,
    completionTokens: 0,
    tokensPerSecond: 0,
    reconnects: 0,
    fatal: null,
  };
}

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('worker metrics port', () => {
  it('serves the Prometheus text format that follows the worker as it loads and runs jobs', async () => {
    const stats = fakeStats();
    let provider: Provider | null = null;
    let t = 0;
    const timer = modelLoadTimer(() => t);
    const registry = workerMetricsRegistry({
      stats: () => stats,
      modelLoadSeconds: timer.seconds,
      provider: () => provider,
      version: '9.9.9',
    });
    server = await startMetricsServer(registry, { port: 0, host: '127.0.0.1' });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const scrape = async () => {
      const res = await fetch(server?.url ?? '');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      return parseExposition(await res.text());
    };

    // Loading: no provider yet, no load times, zero jobs.
    let e = await scrape();
    expect(seriesValue(e, 'cocoon_worker_info', { version: '9.9.9' })).toBe(1);
    expect(e.types.get('cocoon_worker_jobs_total')).toBe('counter');
    expect(seriesValue(e, 'cocoon_worker_jobs_total', { outcome: 'done' })).toBe(0);
    expect(e.samples.some((s) => s.name === 'cocoon_worker_provider')).toBe(false);
    expect(e.samples.some((s) => s.name === 'cocoon_worker_model_load_seconds')).toBe(false);
    expect(seriesValue(e, 'cocoon_worker_connection_state', { state: 'connecting' })).toBe(1);
    expect(seriesValue(e, 'cocoon_worker_slots')).toBe(2);

    // Models load (the summarizer 0.4 s, demo-gen 2.5 s), the rig connects and runs jobs.
    timer.onProgress('summarize-extractive', 0);
    t = 400;
    timer.onProgress('summarize-extractive', 1);
    timer.onProgress('demo-gen', 0);
    t = 1500;
    timer.onProgress('demo-gen', 0.5);
    t = 2900;
    timer.onProgress('demo-gen', 1);
    provider = 'cpu';
    Object.assign(stats, {
      state: 'connected',
      running: 1,
      queued: 3,
      jobsDone: 5,
      jobsFailed: 1,
      promptTokens: 120,
      completionTokens: 80,
      tokensPerSecond: 42.5,
      reconnects: 2,
    } satisfies Partial<WorkerStats>);

    e = await scrape();
    expect(seriesValue(e, 'cocoon_worker_jobs_total', { outcome: 'done' })).toBe(5);
    expect(seriesValue(e, 'cocoon_worker_jobs_total', { outcome: 'failed' })).toBe(1);
    expect(seriesValue(e, 'cocoon_worker_tokens_total', { kind: 'prompt' })).toBe(120);
    expect(seriesValue(e, 'cocoon_worker_tokens_total', { kind: 'completion' })).toBe(80);
    expect(seriesValue(e, 'cocoon_worker_tokens_per_second')).toBe(42.5);
    expect(seriesValue(e, 'cocoon_worker_jobs', { state: 'running' })).toBe(1);
    expect(seriesValue(e, 'cocoon_worker_jobs', { state: 'queued' })).toBe(3);
    expect(seriesValue(e, 'cocoon_worker_reconnects_total')).toBe(2);
    expect(seriesValue(e, 'cocoon_worker_connection_state', { state: 'connected' })).toBe(1);
    expect(seriesValue(e, 'cocoon_worker_connection_state', { state: 'connecting' })).toBe(0);
    expect(seriesValue(e, 'cocoon_worker_provider', { provider: 'cpu' })).toBe(1);
    expect(seriesValue(e, 'cocoon_worker_provider', { provider: 'cuda' })).toBe(0);
    expect(seriesValue(e, 'cocoon_worker_model_load_seconds', { model: 'summarize-extractive' })).toBe(0.4);
    expect(seriesValue(e, 'cocoon_worker_model_load_seconds', { model: 'demo-gen' })).toBe(2.5);

    // Counters never go down between scrapes of one process; only /metrics is served.
    stats.jobsDone = 6;
    e = await scrape();
    expect(seriesValue(e, 'cocoon_worker_jobs_total', { outcome: 'done' })).toBe(6);
    expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404);
  });

  it('takes its port and address from flags or the environment, off by default, 127.0.0.1 by default', () => {
    const base = ['--proxy', 'http://127.0.0.1:8080', '--token', TOKEN];
    const off = parseWorkerConfig(base, {});
    expect(off.kind === 'ok' && off.config.metricsPort).toBeUndefined();
    const flag = parseWorkerConfig([...base, '--metrics-port', '9464'], {});
    expect(flag.kind === 'ok' && [flag.config.metricsPort, flag.config.metricsHost]).toEqual([
      9464,
      '127.0.0.1',
    ]);
    const env = parseWorkerConfig(base, { COCOON_METRICS_PORT: '9500', COCOON_METRICS_HOST: '0.0.0.0' });
    expect(env.kind === 'ok' && [env.config.metricsPort, env.config.metricsHost]).toEqual([9500, '0.0.0.0']);
    const bad = parseWorkerConfig([...base, '--metrics-port', '70000'], {});
    expect(bad.kind).toBe('error');
    expect(bad.kind === 'error' && bad.lines.join('\n')).toMatch(/metrics-port.*65535/);
  });
});
