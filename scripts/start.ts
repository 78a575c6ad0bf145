// `npm start`: the whole local network in one process tree. Builds the Mini App, then starts, in order and
// each after the previous one answers: the proxy (PGlite in ./data, the sandbox chain), a worker with the
// bundled models (its rig registered for the local dev owner), the bot against the local Bot API emulator
// (or Telegram when BOT_TOKEN is set), and the OpenAI-compatible client with a dev API key.
// Ctrl-C stops everything; data stays in DATA_DIR for the next start.
// The console: one short line per event, each prefixed with its service (coloured on a terminal) and the local
// time. The services log pretty lines (LOG_FORMAT=pretty, passed down; LOG_FORMAT=json keeps pino's JSON).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  createCocoonClient,
  DEV_BOT_TOKEN,
  fromBase64,
  logFormatSchema,
  newEd25519KeyPair,
  parseEnv,
  signInitData,
  signPolicy,
  toBase64,
} from '@cocoon/shared';
import { clock, loadOrExit, wantsColor } from '@cocoon/shared/node';
import { builtInCatalogue } from '@cocoon/worker';
import { build } from 'vite';
import { z } from 'zod';

const cfg = loadOrExit('npm start', () =>
  parseEnv(
    z.object({
      PORT: z.coerce.number().int().min(1).max(65535).default(8080),
      DATA_DIR: z.string().default('./data'),
      CLIENT_PORT: z.coerce.number().int().min(1).max(65535).default(10000),
      EMULATOR_PORT: z.coerce.number().int().min(1).max(65535).default(8081),
      BOT_TOKEN: z.string().optional(),
      SERVICE_KEY: z.string().optional(),
      HISTORY_KEY: z.string().optional(),
      ADMIN_KEY: z.string().optional(),
      DEV_TELEGRAM_ID: z.coerce.number().int().positive().default(1_000_001),
      /** What the services log: pretty lines for people here, unless LOG_FORMAT=json asks for pino's JSON. */
      LOG_FORMAT: logFormatSchema.default('pretty'),
    }),
    process.env,
    { service: 'npm start' },
  ),
);
const dataDir = resolve(cfg.DATA_DIR);
const proxyUrl = `http://127.0.0.1:${cfg.PORT}`;
/** The local Bot API emulator (when BOT_TOKEN is unset). */
const emulatorUrl = `http://127.0.0.1:${cfg.EMULATOR_PORT}`;
// The data folder holds the database, keys and tokens: the owner's alone.
mkdirSync(dataDir, { recursive: true, mode: 0o700 });
chmodSync(dataDir, 0o700);

const children: Array<{ name: string; proc: ChildProcess }> = [];
let stopping = false;

const color = wantsColor(process.stdout);
/** A colour per service, so a glance tells whose line it is. */
const SERVICE_COLORS: Record<string, string> = {
  proxy: '\x1b[36m', // cyan
  worker: '\x1b[35m', // magenta
  gateway: '\x1b[32m', // green
  bot: '\x1b[34m', // blue
  cocoon: '\x1b[1m', // bold: the launcher itself
};
function prefix(name: string): string {
  const text = name.padEnd(8);
  return color ? `${SERVICE_COLORS[name] ?? ''}${text}\x1b[0m` : text;
}
/** The launcher's own lines, shaped like the services' pretty ones. */
function say(message: string): void {
  const time = color ? `\x1b[2m${clock()}\x1b[0m` : clock();
  process.stdout.write(`${prefix('cocoon')}${time} ${message}\n`);
}

function startChild(
  name: string,
  file: string,
  args: string[],
  extraEnv: Record<string, string | undefined> = {},
): ChildProcess {
  // An undefined value keeps that variable from the child (a secret it must not hold).
  // The same log format for every service; colours when this console has them (the children write to pipes).
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LOG_FORMAT: cfg.LOG_FORMAT,
    ...(color ? { FORCE_COLOR: '1' } : {}),
    ...extraEnv,
  };
  for (const [k, v] of Object.entries(extraEnv)) if (v === undefined) delete env[k];
  const proc = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tag = prefix(name);
  for (const stream of [proc.stdout, proc.stderr]) {
    let buf = '';
    stream?.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) process.stdout.write(`${tag}${line}\n`);
    });
  }
  proc.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`${tag}exited (${signal ?? code}); stopping the network`);
    void stopAll(1);
  });
  children.push({ name, proc });
  return proc;
}

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nstopping…');
    // Reverse order: the front ends first, the proxy last, so workers finish and settle their jobs.
    for (const { proc } of [...children].reverse()) {
      if (proc.exitCode !== null) continue;
      proc.kill('SIGTERM');
      await new Promise<void>((res) => {
        const t = setTimeout(() => {
          proc.kill('SIGKILL');
          res();
        }, 10_000);
        proc.once('exit', () => {
          clearTimeout(t);
          res();
        });
      });
    }
  }
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

/** Polls `check` until it answers true, at most `ms` milliseconds. */
async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  ms = 120_000,
  everyMs = 300,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (stopping) throw new Error('stopping');
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`${what} did not become ready in ${ms / 1000} s`);
}

/** A secret made once and kept in DATA_DIR (rig token, dev API key), so restarts reuse it. */
function remembered(file: string): Record<string, string> | undefined {
  const path = resolve(dataDir, file);
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}
function remember(file: string, value: Record<string, string>): void {
  writeFileSync(resolve(dataDir, file), JSON.stringify(value, null, 2), { mode: 0o600 });
}

/**
 * With a real BOT_TOKEN the proxy and the bot leave local mode, so each needs its own secrets: taken from
 * the environment, else made at random once and kept in DATA_DIR (0600). Never derived from the token.
 * With the dev token, local mode's dev keys apply and nothing is passed.
 */
function realTokenSecrets(): {
  proxy: Record<string, string | undefined>;
  bot: Record<string, string | undefined>;
} {
  if (!cfg.BOT_TOKEN) return { proxy: {}, bot: {} };
  const kept = remembered('secrets.json') ?? {};
  const secrets: Record<string, string> = {};
  for (const name of ['SERVICE_KEY', 'HISTORY_KEY', 'ADMIN_KEY'] as const) {
    secrets[name] = cfg[name] ?? kept[name] ?? randomBytes(32).toString('base64url');
  }
  remember('secrets.json', secrets);
  const { SERVICE_KEY, HISTORY_KEY, ADMIN_KEY } = secrets;
  return {
    // The history key is the bot's alone: the proxy stores sealed history it must not be able to open.
    proxy: { BOT_TOKEN: cfg.BOT_TOKEN, SERVICE_KEY, ADMIN_KEY, HISTORY_KEY: undefined },
    bot: { BOT_TOKEN: cfg.BOT_TOKEN, SERVICE_KEY, HISTORY_KEY, ADMIN_KEY: undefined },
  };
}

/**
 * The confidential tier's policy for a local network: an operator policy key made once and kept in DATA_DIR
 * (0600), and a policy signed with it that allows no TD image (no TDX here), so the tier is empty and says
 * why, and `/trust tdx`, `cocoon_min_trust` and the Playground's switch can be tried. An operator's own
 * ATTESTATION_POLICY_FILE and ATTESTATION_POLICY_KEY win.
 */
function localAttestationPolicy(): { file: string; key: string } {
  if (process.env.ATTESTATION_POLICY_FILE && process.env.ATTESTATION_POLICY_KEY)
    return { file: process.env.ATTESTATION_POLICY_FILE, key: process.env.ATTESTATION_POLICY_KEY };
  mkdirSync(dataDir, { recursive: true });
  const kept = remembered('attestation-policy-key.json');
  const secretKey = kept?.secretKey ? fromBase64(kept.secretKey) : newEd25519KeyPair().secretKey;
  // Each start signs the next sequence, so a client that saw the last start's policy takes this one.
  const sequence = (Number(kept?.sequence) || 0) + 1;
  remember('attestation-policy-key.json', { secretKey: toBase64(secretKey), sequence: String(sequence) });
  const signed = signPolicy(
    { version: 1, issuedAt: new Date().toISOString(), sequence, tcbStatuses: ['UpToDate'], images: [] },
    secretKey,
  );
  const file = resolve(dataDir, 'attestation-policy.json');
  writeFileSync(file, `${JSON.stringify(signed, null, 2)}\n`);
  return { file, key: signed.publicKey };
}

async function main(): Promise<void> {
  say('building the Mini App (local mode)…');
  // Local mode keeps the mocked Telegram environment and the sandbox wallet in the bundle (never in production).
  process.env.VITE_COCOON_LOCAL = '1';
  // Vite's build sets NODE_ENV=production in this process when it is unset; the children must not inherit
  // it (the proxy and the bot refuse local mode under NODE_ENV=production).
  const nodeEnv = process.env.NODE_ENV;
  // The bundle's size warning is for whoever ships it, not for a local start: the console stays quiet.
  await build({
    configFile: resolve('vite.config.ts'),
    mode: 'production',
    logLevel: 'warn',
    build: { chunkSizeWarningLimit: 8192 },
  });
  if (nodeEnv === undefined) delete process.env.NODE_ENV;
  else process.env.NODE_ENV = nodeEnv;

  // The catalogue pins the built-in models to the digests of this checkout's code, computed as the worker
  // computes them (the demo model is built here first if missing, in the folder the worker loads it from).
  // Rewritten at every start, so a newer build is pinned after an update. An operator's own MODEL_CATALOGUE wins.
  let modelCatalogue = process.env.MODEL_CATALOGUE;
  if (!modelCatalogue) {
    say('pinning the built-in models (building the demo model if needed)…');
    modelCatalogue = resolve(dataDir, 'model-catalogue.json');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(modelCatalogue, `${JSON.stringify({ models: await builtInCatalogue() }, null, 2)}\n`);
  }

  const secrets = realTokenSecrets();
  const policy = localAttestationPolicy();
  startChild('proxy', 'proxy/src/main.ts', [], {
    ATTESTATION_POLICY_FILE: policy.file,
    ATTESTATION_POLICY_KEY: policy.key,
    PORT: String(cfg.PORT),
    DATA_DIR: dataDir,
    MODEL_CATALOGUE: modelCatalogue,
    // The local rig is the operator's own: no probation and no bond (one rig has no one to audit it).
    OPERATOR_OWNER_IDS: process.env.OPERATOR_OWNER_IDS ?? String(cfg.DEV_TELEGRAM_ID),
    // Stars: the proxy makes invoice links and confirms charges at the Bot API the bot uses (the emulator's,
    // which starts later; the proxy only calls it when someone buys).
    ...(cfg.BOT_TOKEN ? {} : { TELEGRAM_API_ROOT: emulatorUrl }),
    ...secrets.proxy,
  });
  await waitFor('the proxy', async () => (await fetch(`${proxyUrl}/healthz`)).ok);

  // The local dev owner (the Mini App's default dev user) owns the local rig and the dev API key. The
  // launcher signs its initData itself with the bot token it started the proxy with: registering rigs and
  // making API keys is the owner's alone, never the bot's service key's.
  const dev = createCocoonClient({
    baseUrl: proxyUrl,
    auth: {
      kind: 'tma',
      initData: signInitData(
        { user: { id: cfg.DEV_TELEGRAM_ID, first_name: 'Dev' } },
        cfg.BOT_TOKEN ?? DEV_BOT_TOKEN,
      ),
    },
  });
  const rigs = (await dev.rigs()).rigs;
  let rig = remembered('local-rig.json');
  if (!rig || !rigs.some((r) => r.id === rig?.id && !r.revoked)) {
    const created = await dev.registerRig('local rig');
    rig = { id: created.rig.id, token: created.token };
    remember('local-rig.json', rig);
  }
  // Secrets travel in the environment, not on the command line where `ps` shows them.
  startChild(
    'worker',
    'worker/src/cli.ts',
    ['--proxy', proxyUrl, '--config-dir', resolve(dataDir, 'worker')],
    {
      COCOON_RIG_TOKEN: rig.token,
    },
  );
  await waitFor(
    'the worker',
    async () => (await dev.rigs()).rigs.some((r) => r.id === rig?.id && r.online),
    180_000,
    1000,
  );

  let apiKey = remembered('dev-api-key.json');
  const keys = (await dev.apiKeys()).keys;
  if (!apiKey || !keys.some((k) => k.id === apiKey?.id)) {
    const created = await dev.createApiKey('local client');
    apiKey = { id: created.id, key: created.key };
    remember('dev-api-key.json', apiKey);
  }
  startChild('gateway', 'gateway/src/cli.ts', ['--proxy', proxyUrl, '--port', String(cfg.CLIENT_PORT)], {
    COCOON_API_KEY: apiKey.key,
    ATTESTATION_POLICY_KEY: policy.key,
  });
  await waitFor('the gateway', async () => (await fetch(`http://127.0.0.1:${cfg.CLIENT_PORT}/v1/models`)).ok);

  const botEnv: Record<string, string | undefined> = {
    ...secrets.bot,
    COCOON_PROXY_URL: proxyUrl,
    MINIAPP_URL: proxyUrl,
    EMULATOR_PORT: String(cfg.EMULATOR_PORT),
    ATTESTATION_POLICY_KEY: policy.key,
  };
  startChild('bot', 'scripts/start-bot.ts', [], botEnv);
  const chatUrl = cfg.BOT_TOKEN ? 'Telegram (BOT_TOKEN is set)' : `${emulatorUrl}/`;
  if (!cfg.BOT_TOKEN) {
    await waitFor('the bot', async () => (await fetch(chatUrl)).ok);
    // The Mini App's dev user is a Telegram user of the emulator too, so it can pay Stars invoices there.
    await fetch(`${emulatorUrl}/control/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: cfg.DEV_TELEGRAM_ID, first_name: 'Dev' }),
    });
  }

  const rows = [
    ['Mini App', `${proxyUrl}/`],
    ['Chat with the bot', chatUrl],
    ['OpenAI-compatible API', `http://127.0.0.1:${cfg.CLIENT_PORT}/v1`],
    ['Proxy API', `${proxyUrl}/v1/market`],
    ['Data', dataDir],
  ];
  console.log(`\nCocoon is running.\n\n${rows.map(([k, v]) => `  ${k.padEnd(24)}${v}`).join('\n')}\n`);
  console.log('Try first:');
  console.log(`  1. Open ${proxyUrl}/ → Playground, paste a conversation, press Summarize.`);
  if (!cfg.BOT_TOKEN)
    console.log(`  2. Open ${chatUrl}, pick the demo group, chat a little, then send /summarize.`);
  console.log(
    `  3. curl http://127.0.0.1:${cfg.CLIENT_PORT}/v1/chat/completions -H 'content-type: application/json' \\\n` +
      `       -d '{"model":"demo-gen","messages":[{"role":"user","content":"Once upon a time"}]}'`,
  );
  console.log('\nCtrl-C stops everything.');
}

main().catch((err) => {
  console.error(`npm start failed: ${(err as Error).message}`);
  void stopAll(1);
});
