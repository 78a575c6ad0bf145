// `npm run proxy`: start the proxy from the environment. `npm run proxy -- check` checks a production
// configuration without starting (see check.ts); `npm run proxy -- migrate` applies the migrations and exits.
import { EXIT_FAILED, failStartup, loadOrExit } from '@cocoon/shared/node';
import { startProxy } from './app';
import { checkMain } from './check';
import { loadConfig } from './config';
import { openDb } from './db';

const command = process.argv[2];
if (command === 'check') process.exit(await checkMain(process.env));
if (command === 'migrate') {
  const c = loadOrExit('cocoon-proxy', () => loadConfig());
  const db = await openDb({ databaseUrl: c.DATABASE_URL, dataDir: `${c.DATA_DIR}/pglite` }).catch(
    (err: Error) => failStartup('cocoon-proxy', `could not migrate: ${err.message}`, EXIT_FAILED),
  );
  await db.close();
  console.log('cocoon proxy: migrations applied');
  process.exit(0);
}
if (command !== undefined)
  failStartup('cocoon-proxy', `unknown command ${command}: use check, migrate or nothing`);

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
