// The worker's optional metrics port (--metrics-port N): GET /metrics in the Prometheus text format, from
// prom-client. Every value is read from the worker's stats at scrape time, so nothing here can drift from
// what the status line shows. Bound to 127.0.0.1 unless --metrics-host says otherwise: the series carry no
// job text, keys or token, but they tell how busy a rig is. Series: docs/metrics.md ("Worker metrics").
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry } from 'prom-client';
import type { ConnectionState, WorkerStats } from './connection';
import type { Provider } from './engine/ort-session';

export const WORKER_METRICS_PATH = '/metrics';
const PROVIDERS: Provider[] = ['cpu', 'cuda'];
const STATES: ConnectionState[] = ['connecting', 'connected', 'reconnecting', 'draining', 'stopped'];

export interface WorkerMetricsSource {
  stats(): WorkerStats;
  /** Seconds each model took to load (demo-gen includes its first-start build); absent while loading. */
  modelLoadSeconds(): ReadonlyMap<string, number>;
  /** What the models run on once loaded; null while they load. */
  provider(): Provider | null;
  version: string;
}

/** A registry whose collectors read `source` at each scrape. */
export function workerMetricsRegistry(source: WorkerMetricsSource): Registry {
  const registry = new Registry();
  const counterFrom = (name: string, help: string, labelNames: string[], read: (c: Counter) => void) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        read(this);
      },
    });

  new Gauge({
    name: 'cocoon_worker_info',
    help: 'Always 1; the worker version as a label.',
    labelNames: ['version'],
    registers: [registry],
    collect() {
      this.set({ version: source.version }, 1);
    },
  });
  counterFrom('cocoon_worker_jobs_total', 'Jobs this worker finished, by outcome.', ['outcome'], (c) => {
    const s = source.stats();
    c.inc({ outcome: 'done' }, s.jobsDone);
    c.inc({ outcome: 'failed' }, s.jobsFailed);
  });
  counterFrom('cocoon_worker_tokens_total', 'Tokens of the jobs done, by kind.', ['kind'], (c) => {
    const s = source.stats();
    c.inc({ kind: 'prompt' }, s.promptTokens);
    c.inc({ kind: 'completion' }, s.completionTokens);
  });
  counterFrom('cocoon_worker_reconnects_total', 'Connections to the proxy lost and retried.', [], (c) =>
    c.inc(source.stats().reconnects),
  );
  new Gauge({
    name: 'cocoon_worker_tokens_per_second',
    help: 'Completion tokens per second of job run time, over every job done since start.',
    registers: [registry],
    collect() {
      this.set(source.stats().tokensPerSecond);
    },
  });
  new Gauge({
    name: 'cocoon_worker_jobs',
    help: 'Jobs on this worker now: running, and queued for a slot.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const s = source.stats();
      this.set({ state: 'running' }, s.running);
      this.set({ state: 'queued' }, s.queued);
    },
  });
  new Gauge({
    name: 'cocoon_worker_slots',
    help: 'Jobs this worker runs at once (--slots).',
    registers: [registry],
    collect() {
      this.set(source.stats().slots);
    },
  });
  new Gauge({
    name: 'cocoon_worker_connection_state',
    help: '1 for the state of the connection to the proxy, 0 for the others.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const now = source.stats().state;
      for (const state of STATES) this.set({ state }, state === now ? 1 : 0);
    },
  });
  new Gauge({
    name: 'cocoon_worker_provider',
    help: 'What the models run on: 1 for the provider in use (cpu or cuda), 0 for the other; absent while loading.',
    labelNames: ['provider'],
    registers: [registry],
    collect() {
      this.reset();
      const now = source.provider();
      if (now) for (const provider of PROVIDERS) this.set({ provider }, provider === now ? 1 : 0);
    },
  });
  new Gauge({
    name: 'cocoon_worker_model_load_seconds',
    help: 'Seconds each model took to load at start (demo-gen: with its first-start build).',
    labelNames: ['model'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [model, seconds] of source.modelLoadSeconds()) this.set({ model }, seconds);
    },
  });
  return registry;
}

/** Times each model's load from the worker's onProgress calls (0 first, 1 when loaded). */
export function modelLoadTimer(now: () => number = () => performance.now()) {
  const began = new Map<string, number>();
  const seconds = new Map<string, number>();
  return {
    onProgress(model: string, fraction: number): void {
      if (!began.has(model)) began.set(model, now());
      if (fraction >= 1 && !seconds.has(model))
        seconds.set(model, (now() - (began.get(model) ?? now())) / 1000);
    },
    seconds: (): ReadonlyMap<string, number> => seconds,
  };
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** Serves GET /metrics on host:port (port 0: any free one); anything else is 404. */
export async function startMetricsServer(
  registry: Registry,
  opts: { port: number; host: string },
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== WORKER_METRICS_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}${WORKER_METRICS_PATH}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
