// cocoon-worker: turns this machine into a rig. `npm run worker -- --proxy URL --token RIG_TOKEN`.
// Exit codes: 0 stopped by a signal, 1 could not keep serving (bad token, load failure), 2 bad arguments.
import { createLogger, EXIT_BAD_CONFIG, failStartup, warnStartup } from '@cocoon/shared/node';
import { parseWorkerConfig, USAGE } from './config';
import { type MetricsServer, modelLoadTimer, startMetricsServer, workerMetricsRegistry } from './metrics';
import { startWorker, WORKER_VERSION } from './start';
import { modelProgress, statusLine } from './status-line';

/** The longest a signal waits for running jobs before the worker fails them back and exits. */
const DRAIN_MS = 30_000;

async function main(): Promise<number> {
  const parsed = parseWorkerConfig(process.argv.slice(2), process.env, warnStartup('cocoon-worker'));
  if (parsed.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.kind === 'error') {
    return failStartup(
      'cocoon-worker',
      `${parsed.lines.join('\ncocoon-worker: ')}\n\n${USAGE}`,
      EXIT_BAD_CONFIG,
    );
  }
  const config = parsed.config;
  const err = process.stderr;
  const tty = Boolean(err.isTTY);

  // Logs go to stdout (JSON lines, or pretty ones with --log-format pretty); on a terminal the status line on
  // stderr is cleared first so the two don't share a line. pino never gets job text, keys or the token.
  // Pretty and not on a terminal (`npm start`): no progress bars and no status line, the log lines say it all.
  const pretty = config.logFormat === 'pretty';
  const quietStatus = pretty && !tty;
  let status: ReturnType<typeof statusLine> | undefined;
  const logger = createLogger({
    name: 'cocoon-worker',
    level: config.logLevel,
    format: config.logFormat,
    destination: {
      write(line: string) {
        if (tty && process.stdout.isTTY) err.write('\r\x1b[2K');
        process.stdout.write(line);
        status?.refresh();
      },
    },
  });

  const progress = quietStatus ? { update() {}, end() {} } : modelProgress(err);
  const loadTimer = modelLoadTimer();
  const worker = startWorker({
    proxyUrl: config.proxy,
    token: config.token,
    modelsDir: config.models,
    device: config.device,
    threads: config.threads,
    dtype: config.dtype,
    tee: config.tee,
    tsmDir: config.tsmDir,
    slots: config.slots,
    configDir: config.configDir,
    logger,
    onProgress: (id, f) => {
      loadTimer.onProgress(id, f);
      progress.update(id, f);
    },
    onChange: () => status?.refresh(),
  });

  // The metrics port opens before the models load, so a scrape shows the rig coming up.
  let metrics: MetricsServer | undefined;
  let loaded = false;
  if (config.metricsPort !== undefined) {
    const registry = workerMetricsRegistry({
      stats: () => worker.stats(),
      modelLoadSeconds: loadTimer.seconds,
      provider: () => (loaded ? worker.stats().device : null),
      version: WORKER_VERSION,
    });
    try {
      metrics = await startMetricsServer(registry, { port: config.metricsPort, host: config.metricsHost });
      logger.info({ url: metrics.url }, 'metrics served');
    } catch (e) {
      await worker.stop({ graceful: false });
      return failStartup(
        'cocoon-worker',
        `--metrics-port ${config.metricsPort} on ${config.metricsHost}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }

  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      err.write(`\ncocoon-worker: second ${sig}, stopping now without waiting for jobs\n`);
      void worker.stop({ graceful: false });
      return;
    }
    err.write(`\ncocoon-worker: ${sig}: finishing running jobs (up to ${DRAIN_MS / 1000} s), then exiting\n`);
    void worker.stop({ drainMs: DRAIN_MS });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const ready = await worker.ready;
    loaded = true;
    progress.end();
    const serving = `serving ${ready.models.join(', ')} on ${ready.device}, ${config.slots} slot${config.slots > 1 ? 's' : ''}`;
    if (pretty) {
      if (ready.keysCreated) logger.info({ configDir: config.configDir }, 'created new rig keys');
      logger.info({ fingerprint: ready.fingerprint }, serving);
    } else {
      err.write(
        `${ready.keysCreated ? 'created new rig keys' : 'rig keys'} in ${config.configDir}\n` +
          `key fingerprint ${ready.fingerprint}\n${serving}\n`,
      );
    }
    if (!quietStatus) {
      status = statusLine(err, () => worker.stats());
      status.refresh();
    }
    await worker.closed;
    status?.end();
    await metrics?.close();
    return 0;
  } catch (e) {
    progress.end();
    status?.end();
    await metrics?.close();
    return failStartup('cocoon-worker', e);
  }
}

main().then(
  (code) => process.exit(code),
  (e) => failStartup('cocoon-worker', e),
);
