// cocoon-worker: turns this machine into a rig. `npm run worker -- --proxy URL --token RIG_TOKEN`.
// Exit codes: 0 stopped by a signal, 1 could not keep serving (bad token, load failure), 2 bad arguments.
import pino from 'pino';
import { parseWorkerConfig, USAGE } from './config';
import { startWorker } from './index';
import { modelProgress, statusLine } from './status-line';

/** The longest a signal waits for running jobs before the worker fails them back and exits. */
const DRAIN_MS = 30_000;

async function main(): Promise<number> {
  const parsed = parseWorkerConfig(process.argv.slice(2), process.env);
  if (parsed.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(
      `cocoon-worker: ${parsed.message.replaceAll('\n', '\ncocoon-worker: ')}\n\n${USAGE}`,
    );
    return 2;
  }
  const config = parsed.config;
  const err = process.stderr;
  const tty = Boolean(err.isTTY);

  // Logs go to stdout as JSON lines; on a terminal the status line on stderr is cleared first so the two
  // don't share a line. pino never gets job text, keys or the token.
  let status: ReturnType<typeof statusLine> | undefined;
  const logger = pino(
    { name: 'cocoon-worker', level: config.logLevel },
    {
      write(line: string) {
        if (tty && process.stdout.isTTY) err.write('\r\x1b[2K');
        process.stdout.write(line);
        status?.refresh();
      },
    },
  );

  const progress = modelProgress(err);
  const worker = startWorker({
    proxyUrl: config.proxy,
    token: config.token,
    modelsDir: config.models,
    device: config.device,
    slots: config.slots,
    configDir: config.configDir,
    logger,
    onProgress: (id, f) => progress.update(id, f),
    onChange: () => status?.refresh(),
  });

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
    progress.end();
    err.write(
      `${ready.keysCreated ? 'created new rig keys' : 'rig keys'} in ${config.configDir}\n` +
        `key fingerprint ${ready.fingerprint}\n` +
        `serving ${ready.models.join(', ')} on ${ready.device}, ${config.slots} slot${config.slots > 1 ? 's' : ''}\n`,
    );
    status = statusLine(err, () => worker.stats());
    status.refresh();
    await worker.closed;
    status.end();
    return 0;
  } catch (e) {
    progress.end();
    status?.end();
    err.write(`cocoon-worker: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`cocoon-worker: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
