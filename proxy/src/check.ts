// `npm run check` / `npm run proxy -- check`: a production configuration, checked before start. The rules are
// the start-up's own (loadConfig, the service key, the chain's endpoint); this only adds what needs a network
// round trip: the database and its migrations, the chain endpoint and the service wallet, the bot's getMe.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkPolicyFreshness, MAX_POLICY_AGE_MS } from '@cocoon/shared';
import { loadAttestationPolicy } from './attestation/service';
import { ToncenterChain } from './chain';
import { type Config, loadConfig } from './config';
import { createChainFromConfig } from './custodial/service';
import { connectDb } from './db';
import { migrationStatus } from './db/migrate';

export interface CheckLine {
  ok: boolean;
  /** What was checked: a variable's name or a thing (database, chain). */
  name: string;
  /** What was found; on a failure, what to fix. */
  detail: string;
  /** Passes, but likely wrong for a deployment: printed with `!`, the exit code stays 0. */
  warning?: boolean;
}

export interface CheckOptions {
  /** Per network round trip (database connection, TON endpoint, getMe). */
  timeoutMs?: number;
}

/** The masterchain zero-state root hashes of the public networks (global.config.json's zero_state). */
const ZERO_STATES: Record<string, 'mainnet' | 'testnet'> = {
  'F6OpKZKqvqeFp6CQmFomXNMfMj2EnaUSOXN+Mh+wVWk=': 'mainnet',
  'gj+B8wb/AmlPk1z1AhVI484rhrUpgSr2oSFIh56VoSg=': 'testnet',
};

const pass = (name: string, detail: string): CheckLine => ({ ok: true, name, detail });
const fail = (name: string, detail: string): CheckLine => ({ ok: false, name, detail });

/** Runs every check on `env`; never throws. A failed configuration skips the checks that need it. */
export async function runChecks(
  env: Record<string, string | undefined>,
  opts: CheckOptions = {},
): Promise<CheckLine[]> {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    return problemLines(err);
  }
  const lines: CheckLine[] = [pass('configuration', 'every proxy variable is valid')];
  if (config.COCOON_LOCAL)
    lines.push(
      fail(
        'COCOON_LOCAL',
        'local mode is on (dev routes, dev keys): set BOT_TOKEN, TON_NETWORK, NODE_ENV=production',
      ),
    );
  if (config.NODE_ENV !== 'production')
    lines.push(fail('NODE_ENV', 'set NODE_ENV=production (it turns on the production refusals)'));
  if (!config.PUBLIC_URL)
    lines.push(
      fail('PUBLIC_URL', "set the https:// address people reach the proxy at (the TON Connect manifest's)"),
    );
  else lines.push(pass('PUBLIC_URL', config.PUBLIC_URL));
  if (!config.COCOON_LOCAL) lines.push(checkTrustProxy(config));
  lines.push(await checkDatabase(config, timeoutMs));
  lines.push(...(await checkChain(config, timeoutMs)));
  lines.push(await checkBotToken(config, timeoutMs));
  lines.push(...checkAttestationPolicy(config));
  return lines;
}

/**
 * Behind a reverse proxy without TRUST_PROXY every client arrives from the reverse proxy's address, so the
 * per-IP bounds (failed sign-ins, worker upgrades, RATE_IP_PER_MIN) are shared by everyone: a few bad
 * requests lock out every API key and rig. A warning, not a failure: a proxy reached directly needs none.
 */
export function checkTrustProxy(config: Config): CheckLine {
  const name = 'TRUST_PROXY';
  if (config.TRUST_PROXY === undefined)
    return {
      ...pass(
        name,
        "unset: behind nginx/Caddy every client shares the reverse proxy's address and its per-IP bounds; set it to the reverse proxy's address (e.g. 127.0.0.1), or TRUST_PROXY=false if clients connect directly",
      ),
      warning: true,
    };
  if (config.TRUST_PROXY === false) return pass(name, 'off: each connection is counted by its own address');
  return pass(name, `X-Forwarded-For believed from ${config.TRUST_PROXY.join(', ')}`);
}

/** Days left before clients refuse the policy, below which the check asks for a fresh one now. */
const POLICY_RESIGN_DAYS = 14;

/**
 * The served attestation policy as clients will judge it: past MAX_POLICY_AGE_MS they refuse it and every
 * confidential job fails, so a policy close to that age fails here with the date to re-sign it by.
 */
export function checkAttestationPolicy(config: Config, nowMs = Date.now()): CheckLine[] {
  const name = 'ATTESTATION_POLICY_FILE';
  if (!config.ATTESTATION_POLICY_FILE) return [];
  let policy: NonNullable<ReturnType<typeof loadAttestationPolicy>>['policy'];
  try {
    policy = loadAttestationPolicy(config)!.policy;
    checkPolicyFreshness(policy, undefined, nowMs);
  } catch (err) {
    return [fail(name, (err as Error).message.replace(/^ATTESTATION_POLICY_FILE: /, ''))];
  }
  const refusedFrom = Date.parse(policy.issuedAt) + MAX_POLICY_AGE_MS;
  const by = new Date(refusedFrom).toISOString().slice(0, 10);
  const seq = `sequence ${policy.sequence ?? 'none (counts as 0)'}, issued ${policy.issuedAt.slice(0, 10)}`;
  if (refusedFrom - nowMs < POLICY_RESIGN_DAYS * 86_400_000)
    return [fail(name, `${seq}: clients refuse it from ${by}; sign a fresh one with the next sequence now`)];
  return [pass(name, `${seq}; clients accept it until ${by}`)];
}

/** A thrown configuration error as one failed line per `NAME: message`. */
export function problemLines(err: unknown): CheckLine[] {
  const message = err instanceof Error ? err.message : String(err);
  const problems = message
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter(Boolean);
  if (!problems.length) return [fail('configuration', message)];
  return problems.map((p) => {
    const i = p.indexOf(': ');
    return i > 0 ? fail(p.slice(0, i), p.slice(i + 2)) : fail('configuration', p);
  });
}

async function checkDatabase(config: Config, timeoutMs: number): Promise<CheckLine> {
  const name = config.DATABASE_URL ? 'DATABASE_URL' : 'DATA_DIR';
  const dataDir = join(config.DATA_DIR, 'pglite');
  if (!config.DATABASE_URL && !existsSync(dataDir))
    return fail(
      name,
      `no database at ${dataDir} yet: run \`npm run proxy -- migrate\` (or set DATABASE_URL)`,
    );
  let db: Awaited<ReturnType<typeof connectDb>> | undefined;
  try {
    db = await withTimeout(connectDb({ databaseUrl: config.DATABASE_URL, dataDir }), timeoutMs, 'connect');
    const { pending, unknown } = await withTimeout(migrationStatus(db), timeoutMs, 'read migrations');
    if (pending.length)
      return fail(
        name,
        `${pending.length} migration(s) not applied (${pending.join(', ')}): run \`npm run proxy -- migrate\``,
      );
    if (unknown.length)
      return fail(
        name,
        `applied migrations this proxy does not know (${unknown.join(', ')}): deploy the newer proxy`,
      );
    return pass(name, `${db.kind} answers, migrations current`);
  } catch (err) {
    return fail(name, `the database does not answer (${errorText(err)}): check ${name}`);
  } finally {
    await db?.close().catch(() => {});
  }
}

async function checkChain(config: Config, timeoutMs: number): Promise<CheckLine[]> {
  if (config.TON_NETWORK === 'sandbox')
    return [pass('TON_NETWORK', 'sandbox: the local chain, nothing to reach')];
  let chain: Awaited<ReturnType<typeof createChainFromConfig>>;
  try {
    chain = await createChainFromConfig(config, false, { timeoutMs, attempts: 1 });
  } catch (err) {
    return problemLines(err);
  }
  if (!(chain instanceof ToncenterChain)) return [pass('TON_NETWORK', config.TON_NETWORK)];
  const lines: CheckLine[] = [];
  try {
    const root = await chain.zeroStateRootHash();
    const served = ZERO_STATES[root];
    if (served && served !== config.TON_NETWORK)
      return [
        fail(
          'TONCENTER_URL',
          `serves ${served}, but TON_NETWORK=${config.TON_NETWORK}: use a ${config.TON_NETWORK} endpoint`,
        ),
      ];
    lines.push(
      pass(
        'TONCENTER_URL',
        served ? `answers, serves ${served}` : `answers (an unknown network: zero state ${root})`,
      ),
    );
  } catch (err) {
    return [
      fail('TONCENTER_URL', `does not answer (${errorText(err)}): check TONCENTER_URL and TONCENTER_API_KEY`),
    ];
  }
  try {
    const address = chain.serviceAddress();
    const [state, balance] = await Promise.all([chain.serviceWalletState(), chain.getBalance()]);
    if (state === 'frozen')
      lines.push(
        fail(
          'SERVICE_WALLET_MNEMONIC',
          `the service wallet ${address} is frozen: unfreeze it or use another`,
        ),
      );
    else if (state !== 'active' && balance === 0n)
      lines.push(
        fail(
          'SERVICE_WALLET_MNEMONIC',
          `the service wallet ${address} does not exist on ${config.TON_NETWORK}: send it some TON (it pays withdrawal fees)`,
        ),
      );
    else
      lines.push(pass('SERVICE_WALLET_MNEMONIC', `service wallet ${address}: ${state}, ${balance} nanoTON`));
  } catch (err) {
    lines.push(fail('SERVICE_WALLET_MNEMONIC', `could not read the service wallet (${errorText(err)})`));
  }
  return lines;
}

async function checkBotToken(config: Config, timeoutMs: number): Promise<CheckLine> {
  const root = (config.TELEGRAM_API_ROOT ?? 'https://api.telegram.org').replace(/\/$/, '');
  try {
    // The URL holds the token: never put it in a message.
    const res = await fetch(`${root}/bot${config.BOT_TOKEN}/getMe`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json().catch(() => null)) as {
      ok?: boolean;
      result?: { username?: string };
    } | null;
    if (res.ok && body?.ok) return pass('BOT_TOKEN', `getMe answers @${body.result?.username ?? '?'}`);
    return fail(
      'BOT_TOKEN',
      `getMe refused it (HTTP ${res.status}): copy the token from @BotFather (/token)`,
    );
  } catch (err) {
    return fail(
      'BOT_TOKEN',
      `could not reach ${root} (${errorText(err)}): check the network or TELEGRAM_API_ROOT`,
    );
  }
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: { code?: string } }).cause?.code;
  return cause ? `${err.message}: ${cause}` : err.message;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** One line per check, ✓, ! (a warning) or ✗. */
export function formatChecks(lines: CheckLine[]): string {
  return lines.map((l) => `${l.ok ? (l.warning ? '!' : '✓') : '✗'} ${l.name}: ${l.detail}`).join('\n');
}

/** Prints the checks of `env` and returns the exit code: 0 when all pass, 1 otherwise. */
export async function checkMain(
  env: Record<string, string | undefined>,
  out: (s: string) => void = console.log,
): Promise<number> {
  const lines = await runChecks(env);
  out(formatChecks(lines));
  return lines.every((l) => l.ok) ? 0 : 1;
}
