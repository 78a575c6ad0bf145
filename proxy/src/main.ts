// `npm run proxy`: start the proxy from the environment.
import { EXIT_FAILED, failStartup, loadOrExit } from '@cocoon/shared/node';
import { startProxy } from './app';
import { loadConfig } from './config';

const config = loadOrExit('cocoon-proxy', () => loadConfig());
const proxy = await startProxy(config).catch((err: Error) =>
  failStartup('cocoon-proxy', `could not start: ${err.message}`, EXIT_FAILED),
);
// For scripts that start the proxy and wait for it (benchmarks, the flood test), whatever the log level. With
// pretty logs (under `npm start`) the logger's own "started on" line says it.
if (config.LOG_FORMAT === 'json')
  console.log(
    `cocoon proxy listening on ${proxy.url} (db: ${proxy.ctx.db.kind}, chain: ${proxy.ctx.chainKind})`,
  );
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void proxy.close().then(() => process.exit(0));
  });
}
