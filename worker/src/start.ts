// startWorker(): loads keys and models and keeps a rig connected to a proxy. The CLI (cli.ts), the `npm start`
// launcher and the e2e tests all start rigs through it. Kept apart from index.ts so the CLI's bundle
// (scripts/build.mjs) holds only what a rig runs, not the library's test and bench helpers.
import { createRequire } from 'node:module';
import path from 'node:path';
import { keyFingerprint } from '@cocoon/shared';
import { createLogger } from '@cocoon/shared/node';
import { DEFAULT_CONFIG_DIR } from './config';
import { type StopOptions, WorkerConnection, type WorkerLogger, type WorkerStats } from './connection';
import type { DeviceChoice, Provider } from './engine/ort-session';
import { loadOrCreateKeys, type RigKeys } from './keys';
import { type DtypeSettings, loadModels, type Model } from './models/index';
import { resolveTee, type TeeChoice } from './tee/index';

export const WORKER_VERSION: string = createRequire(import.meta.url)('../package.json').version;

export interface StartWorkerOptions {
  /** The proxy's base URL (http(s) or ws(s)). */
  proxyUrl: string;
  /** The rig token from registration. */
  token: string;
  modelsDir?: string;
  device?: DeviceChoice;
  /** onnxruntime CPU threads per model session; default: onnxruntime's own choice. */
  threads?: number;
  /** Which ONNX file each model folder serves (--dtype). */
  dtype?: DtypeSettings;
  slots?: number;
  /** The TEE to attest from (default none here; the CLI's default is auto). */
  tee?: TeeChoice;
  /** configfs-tsm's report directory; tests point it at a stand-in. */
  tsmDir?: string;
  /** Where the rig keys live; default ~/.config/cocoon-worker. */
  configDir?: string;
  logger?: WorkerLogger & { child?: unknown };
  /** Models already loaded (tests share one load between workers); the caller keeps ownership. */
  models?: ReadonlyMap<string, Model>;
  /** Model loading progress, 0..1 per model (only when `models` isn't given). */
  onProgress?: (modelId: string, fraction: number) => void;
  /** Called whenever stats() changes. */
  onChange?: () => void;
  backoff?: { initialMs?: number; maxMs?: number };
}

export interface WorkerHandle {
  /** The rig id from the proxy's first welcome; rejects if the worker stops before it (e.g. a bad token). */
  rigId: Promise<string>;
  /** Resolves when the keys and models are ready and the first connection attempt has begun. */
  ready: Promise<{ fingerprint: string; keysCreated: boolean; device: Provider; models: string[] }>;
  /** Settles when the worker has stopped: resolves after stop(), rejects on a fatal close (bad token). */
  closed: Promise<void>;
  stop(options?: StopOptions): Promise<void>;
  stats(): WorkerStats;
}

/** The device a rig reports: what its models actually run on after any CUDA→CPU fallback. */
export function actualDevice(models: ReadonlyMap<string, Model>): Provider {
  return [...models.values()].some((m) => m.provider === 'cuda') ? 'cuda' : 'cpu';
}

export function startWorker(opts: StartWorkerOptions): WorkerHandle {
  const logger: WorkerLogger = opts.logger ?? createLogger({ name: 'cocoon-worker' });
  let connection: WorkerConnection | undefined;
  let connStarted = false;
  let stopRequested: StopOptions | undefined;
  let ownModels: Map<string, Model> | undefined;
  const idleStats = (): WorkerStats => ({
    state: stopRequested ? 'stopped' : 'connecting',
    rigId: null,
    device: 'cpu',
    slots: opts.slots ?? 1,
    running: 0,
    queued: 0,
    jobsDone: 0,
    jobsFailed: 0,
    promptTokens: 0,
    completionTokens: 0,
    tokensPerSecond: 0,
    reconnects: 0,
    fatal: null,
  });

  const setup = (async () => {
    const keys: RigKeys = loadOrCreateKeys(opts.configDir ?? DEFAULT_CONFIG_DIR);
    const tee = await resolveTee(opts.tee ?? 'none', keys, {
      tsmDir: opts.tsmDir,
      log: (message) => logger.info({}, message),
    });
    // In the confidential tier the models run inside the TD: a GPU outside it would see every prompt.
    if (tee.kind === 'tdx' && opts.device === 'cuda')
      throw new Error(
        'a TDX rig runs its models on CPU inside the TD: drop --device cuda, or use --tee none',
      );
    let models = opts.models;
    if (!models) {
      ownModels = await loadModels({
        device: tee.kind === 'tdx' ? 'cpu' : (opts.device ?? 'auto'),
        threads: opts.threads,
        // Each language model decodes every running job in one batch: the slots are its capacity.
        maxBatch: opts.slots ?? 1,
        modelsDir: opts.modelsDir,
        dtype: opts.dtype,
        logger,
        onProgress: opts.onProgress,
        digestCacheFile: path.join(opts.configDir ?? DEFAULT_CONFIG_DIR, 'model-digests.json'),
      });
      models = ownModels;
    }
    if (models.size === 0) throw new Error('no models to serve');
    const device = actualDevice(models);
    connection = new WorkerConnection({
      proxyUrl: opts.proxyUrl,
      token: opts.token,
      keys,
      models,
      slots: opts.slots ?? 1,
      device,
      tee,
      version: WORKER_VERSION,
      logger,
      backoff: opts.backoff,
      onChange: opts.onChange,
    });
    const started = !stopRequested;
    if (started) {
      connection.start();
      connStarted = true;
    }
    return { connection, started, keys, device, models: [...models.keys()] };
  })();

  const disposeModels = async () => {
    for (const m of ownModels?.values() ?? []) await m.dispose().catch(() => {});
    ownModels = undefined;
  };

  const ready = setup.then(({ keys, device, models }) => ({
    fingerprint: keyFingerprint(keys.x25519.publicKey, keys.ed25519.publicKey),
    keysCreated: keys.created,
    device,
    models,
  }));
  const rigId = setup.then(({ connection: c, started }) =>
    started ? c.rigId : Promise.reject(new Error('the worker was stopped before it connected')),
  );
  const closed = setup.then(async ({ connection: c, started }) => {
    try {
      if (started) await c.closed;
    } finally {
      await disposeModels();
    }
  });
  for (const p of [ready, rigId, closed]) p.catch(() => {});

  return {
    rigId,
    ready,
    closed,
    stats: () => connection?.stats() ?? idleStats(),
    async stop(options) {
      stopRequested = options ?? {};
      // Once connected, stop synchronously: the worker must refuse new jobs from this moment on.
      if (!connection) await setup.catch(() => undefined);
      if (connection && connStarted) await connection.stop(options);
      await closed.catch(() => {});
    },
  };
}
