// `npm run proxy`: start the proxy from the environment.

import { buildProxy } from './app';
import { loadConfig } from './config';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
const proxy = await buildProxy(config).catch((err: Error) => {
  console.error(`cocoon proxy could not start: ${err.message}`);
  process.exit(1);
});
console.log(
  `cocoon proxy listening on ${proxy.url} (db: ${proxy.ctx.db.kind}, chain: ${proxy.ctx.chainKind})`,
);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void proxy.close().then(() => process.exit(0));
  });
}
