// Test harness: one database per test file (PGlite in memory, or PostgreSQL when DATABASE_URL is set),
// reset between tests, and a proxy on a random port with users who sign real initData.
import { type ClientAuth, createCocoonClient, signInitData } from '@cocoon/shared';
import { createLogger } from '@cocoon/shared/node';
import { type BuildOptions, type ProxyServer, startProxy } from '../app';
import { type Config, loadConfig } from '../config';
import { type Db, openDb } from '../db';
import { userBalances } from '../ledger/ledger';

export async function openTestDb(): Promise<Db> {
  return openDb({ databaseUrl: process.env.DATABASE_URL || undefined });
}

/** Empties every table, so tests in one file share a database without sharing state. */
export async function resetDb(db: Db): Promise<void> {
  const r = await db.query<{ tablename: string }>(
    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schema_migrations'",
  );
  if (r.rows.length) await db.query(`TRUNCATE ${r.rows.map((t) => `"${t.tablename}"`).join(', ')} CASCADE`);
}

/**
 * A proxy configured as in production (a real-looking bot token, its own service and admin keys): no dev
 * routes, no public keys. Pass it to startTestProxy to test what a real deployment allows.
 */
export const PRODUCTION_SECRETS = {
  BOT_TOKEN: '7000000001:AAE-real-looking-test-token',
  SERVICE_KEY: 'test-service-key-not-the-dev-one',
  ADMIN_KEY: 'test-admin-key-not-the-service-key',
};

/** Local mode by default (the dev token, the sandbox chain), as `npm start` runs it. */
/**
 * Audits and bonds are off in tests unless a test turns them on (AUDIT_PROBATION_JOBS, AUDIT_RATE, BOND_NANO):
 * other tests count the platform's fees to the nanoTON, and auditors are paid from them.
 */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    PORT: '0',
    LOG_LEVEL: 'silent',
    AUDIT_RATE: '0',
    AUDIT_PROBATION_JOBS: '0',
    BOND_NANO: '0',
    // On-chain accounts compile and deploy contracts at start: on only where a test turns them on.
    ONCHAIN_ACCOUNTS: 'false',
    ...overrides,
  });
}

/**
 * A proxy on a random port. Every 2xx JSON answer is checked against its route's contract
 * (`checkResponses`): one that breaks it is answered 500 and recorded in `proxy.responseViolations`.
 */
export async function startTestProxy(
  db: Db,
  overrides: Record<string, string> = {},
  sweepMs = 200,
  {
    checkResponses = true,
    attestation,
  }: { checkResponses?: boolean; attestation?: BuildOptions['attestation'] } = {},
): Promise<ProxyServer> {
  const config = testConfig(overrides);
  return startProxy(config, {
    db,
    log: createLogger(config.LOG_LEVEL),
    sweepMs,
    checkResponses,
    attestation,
  });
}

export function userAuth(
  proxy: ProxyServer,
  telegramId: number,
  firstName = `User${telegramId}`,
): ClientAuth {
  return {
    kind: 'tma',
    initData: signInitData({ user: { id: telegramId, first_name: firstName } }, proxy.ctx.config.BOT_TOKEN!),
  };
}

export function userClient(
  proxy: ProxyServer,
  telegramId: number,
  firstName?: string,
  extra: Pick<Parameters<typeof createCocoonClient>[0], 'attestation' | 'fetch' | 'spendKey'> = {},
) {
  return createCocoonClient({ baseUrl: proxy.url, auth: userAuth(proxy, telegramId, firstName), ...extra });
}

/** What a user can spend on jobs: their withdrawable balance plus their trial credit. */
export async function spendableNano(db: Db, userId: string): Promise<bigint> {
  const { withdrawable, trial } = await userBalances(db, userId);
  return withdrawable + trial;
}

/**
 * Makes rigs trusted auditors for a test (audits/trust.ts): past probation by `jobs` jobs and vouched for by
 * three trusted passes, as an established rig would be. Bonds are the test's to set (or off).
 */
export async function pastProbation(db: Db, rigIds: string[], jobs = 1000): Promise<void> {
  await db.query(
    'UPDATE rigs SET probation_from = jobs_done - $2, probation_passes = 3 WHERE id = ANY($1::uuid[])',
    [rigIds, jobs],
  );
}
