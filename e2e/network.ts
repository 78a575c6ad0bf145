// The whole Cocoon network for the browser specs, started once per spec file: the proxy (PGlite in memory,
// the in-process sandbox TON chain) serving the Mini App built in local mode, real workers on the shared
// preloaded models, the bot against the Bot API emulator, and Debian's Chromium through playwright-core.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type LocalBot, startLocalBot } from '@cocoon/bot';
import type { Emulator } from '@cocoon/emulator';
import {
  type Db,
  DEV_BOT_TOKEN,
  DEV_SERVICE_KEY,
  loadConfig,
  openDb,
  type ProxyServer,
  type SandboxChain,
  startProxy,
} from '@cocoon/proxy';
import { userClient } from '@cocoon/proxy/testing';
import { type CocoonClient, createCocoonClient } from '@cocoon/shared';
import { createLogger } from '@cocoon/shared/node';
import { loadModels, type Model, startWorker, type WorkerHandle } from '@cocoon/worker';
import type { Browser } from 'playwright-core';
import { launchChromium } from './testing/chromium';

const ROOT = path.resolve(import.meta.dirname, '..');
const DIST_ROOT = path.join(ROOT, '.e2e-dist');
const quiet = createLogger('warn');

/** Every file the Mini App bundle is made from, with its size and mtime: the build cache key. */
function sourceKey(): string {
  const hash = createHash('sha256');
  const walk = (p: string) => {
    if (!existsSync(p)) return;
    const s = statSync(p);
    if (s.isDirectory()) {
      for (const name of readdirSync(p).sort()) if (name !== 'node_modules') walk(path.join(p, name));
    } else hash.update(`${path.relative(ROOT, p)}:${s.size}:${s.mtimeMs}\n`);
  };
  for (const p of ['miniapp', 'shared/src', 'public', 'vite.config.ts', 'package-lock.json'])
    walk(path.join(ROOT, p));
  return hash.digest('hex').slice(0, 16);
}

/**
 * Builds the Mini App in local mode (mocked Telegram, sandbox wallet) with vite's build() and the root
 * vite.config.ts, into .e2e-dist/<source key>/dist (a `dist` folder, which Biome skips), so `dist/` is never
 * touched. A build for unchanged sources is reused; a half-written one never is (built aside, then renamed).
 */
export async function buildMiniApp(): Promise<string> {
  const key = sourceKey();
  const out = path.join(DIST_ROOT, key, 'dist');
  if (existsSync(path.join(out, 'index.html'))) return out;
  const staging = path.join(DIST_ROOT, `${key}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`);
  const { build } = await import('vite');
  process.env.VITE_COCOON_LOCAL = '1';
  // Vitest sets NODE_ENV=test, and vite would then make a development bundle (import.meta.env.DEV true,
  // which points the app at 127.0.0.1:8080 instead of the proxy serving it). Build as `npm run build` does.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: path.join(ROOT, 'vite.config.ts'),
      mode: 'production',
      logLevel: 'error',
      build: { outDir: path.join(staging, 'dist'), emptyOutDir: true },
    });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  try {
    renameSync(staging, path.join(DIST_ROOT, key));
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another run finished the same build first
  }
  // Older builds are of no further use.
  for (const name of readdirSync(DIST_ROOT)) {
    if (name !== key && !name.includes('.tmp-'))
      rmSync(path.join(DIST_ROOT, name), { recursive: true, force: true });
  }
  return out;
}

export interface NetworkOptions {
  /** Load the models (for workers the spec starts). */
  models?: boolean;
  /**
   * Start the bot and the Bot API emulator. The emulator starts first, so that the proxy talks to it too
   * (TELEGRAM_API_ROOT: Stars invoice links, confirming charges).
   */
  bot?: boolean;
  /** Extra proxy environment. */
  proxyEnv?: Record<string, string>;
}

export interface Network {
  url: string;
  proxy: ProxyServer;
  db: Db;
  chain: SandboxChain;
  browser: Browser;
  emulator?: Emulator;
  /** The Mini App URL for a dev user (the mocked Telegram environment signs initData for them). */
  appUrl(user: { id: number; name: string }, route?: string): string;
  /** A user's API client (real initData signed with the dev bot token), as the Mini App uses. */
  user(id: number, name?: string): CocoonClient;
  /** What the bot uses: the service key, acting for a Telegram user. */
  service(id: number, name?: string): CocoonClient;
  /**
   * Runs a rig worker in this process with the shared, preloaded models. startWorker() is the very code
   * path the `COCOON_RIG_TOKEN=TOKEN npm run worker -- --proxy URL` CLI takes (worker/src/cli.ts calls it); only the
   * model load is shared, so specs don't load the ONNX models once per rig.
   */
  startRig(proxyUrl: string, token: string): WorkerHandle;
  close(): Promise<void>;
}

export async function startNetwork(opts: NetworkOptions = {}): Promise<Network> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const c of cleanups.reverse()) await c().catch((err) => console.error('e2e cleanup failed', err));
  };
  try {
    const [staticDir, db, models, browser] = await Promise.all([
      buildMiniApp(),
      openDb({}),
      opts.models ? loadModels({ device: 'cpu', logger: quiet }) : Promise.resolve(undefined),
      launchChromium(),
    ]);
    cleanups.push(() => db.close());
    cleanups.push(async () => {
      for (const m of models?.values() ?? []) await m.dispose();
    });
    cleanups.push(() => browser.close());

    let emulator: Emulator | undefined;
    if (opts.bot) {
      const { startBotApiEmulator } = await import('@cocoon/emulator');
      emulator = await startBotApiEmulator({
        demo: true,
        bots: [{ token: DEV_BOT_TOKEN, username: 'cocoon_local_bot', firstName: 'Cocoon' }],
      });
      const started = emulator;
      cleanups.push(() => started.close());
    }

    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      COCOON_LOCAL: 'true',
      STATIC_DIR: staticDir,
      // The journeys count money to the nanoTON: no random audits (auditors are paid from the fees). A new rig
      // is in probation as on any network; its jobs have no other candidate to audit them.
      AUDIT_RATE: '0',
      ...(emulator ? { TELEGRAM_API_ROOT: emulator.url } : {}),
      ...opts.proxyEnv,
    });
    const proxy = await startProxy(config, { db, log: createLogger(config.LOG_LEVEL), sweepMs: 500 });
    cleanups.push(() => proxy.close());
    const chain = proxy.ctx.ton.chain as SandboxChain | undefined;
    if (chain?.kind !== 'sandbox') throw new Error('the e2e proxy must run on the sandbox chain');

    const configRoot = mkdtempSync(path.join(tmpdir(), 'cocoon-e2e-rigs-'));
    cleanups.push(async () => rmSync(configRoot, { recursive: true, force: true }));
    const workers: WorkerHandle[] = [];
    cleanups.push(() => Promise.all(workers.map((w) => w.stop({ graceful: false }))));

    let bot: LocalBot | undefined;
    if (emulator) {
      // With BOT_TOKEN set, startLocalBot polls the given Bot API (the emulator above) instead of its own.
      bot = await startLocalBot({
        proxyUrl: proxy.url,
        miniAppUrl: `${proxy.url}/`,
        env: {
          LOG_LEVEL: 'warn',
          EDIT_INTERVAL_MS: '200',
          COCOON_LOCAL: 'true',
          BOT_TOKEN: DEV_BOT_TOKEN,
          TELEGRAM_API_ROOT: emulator.url,
          BOT_MODE: 'polling',
        },
        log: { info: () => {}, warn: () => {}, error: (f, m) => console.error('bot:', m, f) },
      });
      cleanups.push(() => bot!.stop());
    }

    return {
      url: proxy.url,
      proxy,
      db,
      chain,
      browser,
      emulator,
      appUrl: (user, route = '/') =>
        `${proxy.url}/?tgUser=${user.id}&tgName=${encodeURIComponent(user.name)}#${route}`,
      user: (id, name) => userClient(proxy, id, name),
      service: (id, name) =>
        createCocoonClient({
          baseUrl: proxy.url,
          auth: { kind: 'service', key: DEV_SERVICE_KEY, telegramId: id, name },
        }),
      startRig(proxyUrl, token) {
        if (!models) throw new Error('startNetwork({ models: true }) to run rigs');
        const handle = startWorker({
          proxyUrl,
          token,
          models: models as ReadonlyMap<string, Model>,
          configDir: mkdtempSync(path.join(configRoot, 'rig-')),
          logger: quiet,
        });
        workers.push(handle);
        return handle;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
