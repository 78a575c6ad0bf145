// `npm run proxy`: start the proxy from the environment.
import { EXIT_FAILED, failStartup, loadOrExit } from '@cocoon/shared/node';
import { startProxy } from './app';
import { loadConfig } from './config';

const config = loadOrExit('cocoon-proxy', () => loadConfig());
const proxy = await startProxy(config).catch((err: Error) =>
  failStartup('cocoon-proxy', `could not start: ${err.message}`, EXIT_FAILED),
);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void proxy.close().then(() => process.exit(0));
  });
}
