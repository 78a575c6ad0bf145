// A rig as its own process, for kill -9 tests: `node --import tsx e2e/reliability/worker-process.ts`
// (the chaos suite runs an esbuild bundle of this file, which starts in a tenth of the time). Settings come
// from the environment; events go to stdout as JSON lines. It stops by itself when its parent goes away
// (stdin closes) or after CHAOS_LIFETIME_MS, whichever comes first.
import { startChaosWorker } from './chaos-worker';

const env = process.env;
const url = env.CHAOS_URL;
const token = env.CHAOS_TOKEN;
if (!url || !token) {
  console.error('CHAOS_URL and CHAOS_TOKEN are required');
  process.exit(2);
}

// With CHAOS_STANDBY=1 the process loads, then waits for a "go" line on stdin before it connects: the
// chaos suite keeps one loaded spare per rig, so a killed rig is back in milliseconds, not a start-up.
async function standby(): Promise<void> {
  if (env.CHAOS_STANDBY !== '1') return;
  await new Promise<void>((resolve) => {
    let buf = '';
    process.stdin.on('data', (d) => {
      buf += String(d);
      if (buf.includes('go\n')) resolve();
    });
  });
}
await standby();

const worker = startChaosWorker({
  url,
  token,
  seed: env.CHAOS_SEED ?? token,
  slots: Number(env.CHAOS_SLOTS ?? 4),
  delayMs: Number(env.CHAOS_DELAY_MS ?? 0),
  reconnects: Number(env.CHAOS_RECONNECTS ?? 0),
  onEvent: (e) => process.stdout.write(`${JSON.stringify(e)}\n`),
});

const stop = async (code: number) => {
  await worker.close();
  process.exit(code);
};
process.stdin.on('end', () => void stop(0));
process.stdin.on('error', () => void stop(0));
process.stdin.resume();
setTimeout(() => void stop(0), Number(env.CHAOS_LIFETIME_MS ?? 120_000)).unref();
worker.rigId.catch(() => void stop(1));
