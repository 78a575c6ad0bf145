// A bench helper process: no-op test workers (the real protocol, keys and sealing) connected to one URL,
// so the bench's clients, the proxy and the workers each get their own process and event loop.
//   FLEET='{"url":"http://127.0.0.1:port","tokens":["…"],"slots":64}' npx tsx bench/src/worker-fleet.ts
// Prints "ready" once every worker is welcomed; SIGTERM closes them.

import { startTestWorker } from '@cocoon/proxy/testing';
import { z } from 'zod';

const fleet = z
  .object({ url: z.string().url(), tokens: z.array(z.string()).min(1), slots: z.number().int().positive() })
  .parse(JSON.parse(process.env.FLEET ?? '{}'));

const workers = fleet.tokens.map((token) => startTestWorker({ url: fleet.url, token, slots: fleet.slots }));
await Promise.all(workers.map((w) => w.rigId));
console.log('ready');
process.once('SIGTERM', () => {
  void Promise.all(workers.map((w) => w.close())).then(() => process.exit(0));
});
