// `npm run check` on a production configuration: a good one passes against a fake Telegram (getMe) and a fake
// toncenter on 127.0.0.1 with a migrated PGlite; bad ones fail naming the variable to fix.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newEd25519KeyPair, signPolicy, toBase64 } from '@cocoon/shared';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type CheckLine, checkMain, checkTrustProxy, runChecks } from './check';
import { DEV_SERVICE_KEY, loadConfig } from './config';
import { connectDb, openDb } from './db';
import { PRODUCTION_SECRETS } from './testing/harness';

const MAINNET_ZERO_STATE = 'F6OpKZKqvqeFp6CQmFomXNMfMj2EnaUSOXN+Mh+wVWk=';
const TESTNET_ZERO_STATE = 'gj+B8wb/AmlPk1z1AhVI484rhrUpgSr2oSFIh56VoSg=';

let zeroState = MAINNET_ZERO_STATE;
let telegram: Server;
let toncenter: Server;
let telegramUrl: string;
let toncenterUrl: string;
let dataDir: string;
let emptyDir: string;
let mnemonic: string;
const seen: string[] = [];

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

beforeAll(async () => {
  const { mnemonicNew } = await import('@ton/crypto');
  mnemonic = (await mnemonicNew(24)).join(' ');
  telegram = createServer((req, res) => {
    seen.push(`telegram ${req.url?.replace(/bot[^/]+/, 'bot<token>')}`);
    const ok = req.url === `/bot${PRODUCTION_SECRETS.BOT_TOKEN}/getMe`;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        ok
          ? { ok: true, result: { id: 7000000001, is_bot: true, username: 'cocoon_test_bot' } }
          : { ok: false, error_code: 401, description: 'Unauthorized' },
      ),
    );
  });
  toncenter = createServer((req, res) => {
    const method = new URL(req.url ?? '/', 'http://x').pathname.split('/').pop();
    seen.push(`toncenter ${method}`);
    const result =
      method === 'getMasterchainInfo'
        ? { init: { root_hash: zeroState, file_hash: 'x' } }
        : method === 'getAddressState'
          ? 'active'
          : method === 'getAddressBalance'
            ? '5000000000'
            : undefined;
    res.writeHead(result === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(result === undefined ? { ok: false, error: 'no such method' } : { ok: true, result }),
    );
  });
  telegramUrl = await listen(telegram);
  toncenterUrl = `${await listen(toncenter)}/api/v2`;
  dataDir = mkdtempSync(join(tmpdir(), 'cocoon-check-'));
  emptyDir = mkdtempSync(join(tmpdir(), 'cocoon-check-empty-'));
  await (await openDb({ dataDir: join(dataDir, 'pglite') })).close();
}, 60_000);

afterAll(() => {
  telegram?.close();
  toncenter?.close();
  for (const d of [dataDir, emptyDir]) if (d) rmSync(d, { recursive: true, force: true });
});

function good(): Record<string, string> {
  return {
    ...PRODUCTION_SECRETS,
    NODE_ENV: 'production',
    TON_NETWORK: 'mainnet',
    TONCENTER_URL: toncenterUrl,
    TONCENTER_API_KEY: 'test-toncenter-key',
    SERVICE_WALLET_MNEMONIC: mnemonic,
    TELEGRAM_API_ROOT: telegramUrl,
    PUBLIC_URL: 'https://cocoon.example.org',
    DATA_DIR: dataDir,
  };
}

const failed = (lines: CheckLine[]) => lines.filter((l) => !l.ok).map((l) => `${l.name}: ${l.detail}`);

describe('npm run check', () => {
  it('passes a good production configuration, one ✓ line per check, exit code 0', async () => {
    zeroState = MAINNET_ZERO_STATE;
    const out: string[] = [];
    const code = await checkMain(good(), (s) => out.push(s));
    expect(out.join('\n')).not.toMatch(/✗/);
    expect(code).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/✓ DATA_DIR: pglite answers, migrations current/);
    expect(text).toMatch(/✓ TONCENTER_URL: answers, serves mainnet/);
    expect(text).toMatch(/✓ SERVICE_WALLET_MNEMONIC: service wallet .*active/);
    expect(text).toMatch(/✓ BOT_TOKEN: getMe answers @cocoon_test_bot/);
    // Behind a reverse proxy every client would share its address: a warning, not a failure.
    expect(text).toMatch(/! TRUST_PROXY: unset: behind nginx\/Caddy every client shares/);
    expect(text).not.toContain(PRODUCTION_SECRETS.BOT_TOKEN);
    expect(seen).toContain('telegram /bot<token>/getMe');
  }, 60_000);

  it('names the reverse proxies TRUST_PROXY trusts, and takes TRUST_PROXY=false without a warning', () => {
    const line = (TRUST_PROXY: string) => checkTrustProxy(loadConfig({ ...good(), TRUST_PROXY }));
    expect(line('127.0.0.1, 10.1.0.0/16')).toEqual({
      ok: true,
      name: 'TRUST_PROXY',
      detail: 'X-Forwarded-For believed from 127.0.0.1, 10.1.0.0/16',
    });
    expect(line('false')).toMatchObject({ ok: true, detail: expect.stringMatching(/^off/) });
    expect(line('false').warning).toBeUndefined();
    expect(line('')).toMatchObject({ ok: true, warning: true });
  });

  it('refuses a dev key in production, naming SERVICE_KEY, with exit code 1', async () => {
    const out: string[] = [];
    expect(await checkMain({ ...good(), SERVICE_KEY: DEV_SERVICE_KEY }, (s) => out.push(s))).toBe(1);
    expect(out.join('\n')).toMatch(/✗ SERVICE_KEY: the public dev key only works in local mode/);
  });

  it('refuses a missing secret, naming it', async () => {
    const env = good();
    delete (env as Record<string, string | undefined>).SERVICE_KEY;
    expect(failed(await runChecks(env))).toEqual(['SERVICE_KEY: required outside local mode']);
    expect(failed(await runChecks({ ...good(), SERVICE_WALLET_MNEMONIC: '' }))).toEqual([
      'SERVICE_WALLET_MNEMONIC: required when TON_NETWORK=mainnet',
    ]);
  });

  it('refuses an http public URL and a bad variable, naming each', async () => {
    expect(failed(await runChecks({ ...good(), PUBLIC_URL: 'http://cocoon.example.org' }))).toEqual([
      expect.stringMatching(/^PUBLIC_URL: NODE_ENV=production needs an https:\/\/ address/),
    ]);
    expect(failed(await runChecks({ ...good(), FEE_BPS: 'lots', LEASE_MS: '-1' }))).toEqual([
      expect.stringMatching(/^FEE_BPS: /),
      expect.stringMatching(/^LEASE_MS: /),
    ]);
  });

  it('refuses a testnet endpoint with mainnet configured, by its name and by what it serves', async () => {
    expect(
      failed(await runChecks({ ...good(), TONCENTER_URL: 'https://testnet.toncenter.com/api/v2' })),
    ).toEqual([expect.stringMatching(/^TONCENTER_URL: a testnet endpoint with TON_NETWORK=mainnet/)]);
    zeroState = TESTNET_ZERO_STATE;
    try {
      expect(failed(await runChecks(good()))).toEqual([
        'TONCENTER_URL: serves testnet, but TON_NETWORK=mainnet: use a mainnet endpoint',
      ]);
    } finally {
      zeroState = MAINNET_ZERO_STATE;
    }
  }, 30_000);

  it('refuses a database whose migrations are not applied, and one that is not there', async () => {
    const fresh = join(emptyDir, 'data');
    expect(failed(await runChecks({ ...good(), DATA_DIR: fresh }))).toEqual([
      expect.stringMatching(/^DATA_DIR: no database at .* yet: run `npm run proxy -- migrate`/),
    ]);
    // An empty database: every checked-in migration is pending, and check applies none of them.
    await (await connectDb({ dataDir: join(fresh, 'pglite') })).close();
    expect(failed(await runChecks({ ...good(), DATA_DIR: fresh }))).toEqual([
      expect.stringMatching(
        /^DATA_DIR: \d+ migration\(s\) not applied \(001_core\.sql, .*npm run proxy -- migrate/,
      ),
    ]);
  }, 60_000);

  it('names the bot token, the endpoint and the database when they do not answer', async () => {
    const lines = await runChecks(
      {
        ...good(),
        BOT_TOKEN: '7000000002:AAE-another-token',
        TONCENTER_URL: 'http://127.0.0.1:9/api/v2',
        DATABASE_URL: 'postgres://cocoon:x@127.0.0.1:9/cocoon',
      },
      { timeoutMs: 2_000 },
    );
    expect(failed(lines)).toEqual([
      expect.stringMatching(/^DATABASE_URL: the database does not answer .*check DATABASE_URL/),
      expect.stringMatching(/^TONCENTER_URL: does not answer/),
      expect.stringMatching(/^BOT_TOKEN: getMe refused it \(HTTP 401\)/),
    ]);
  }, 30_000);

  it('fails an attestation policy clients refuse for its age, or will soon; passes a fresh one', async () => {
    const operator = newEd25519KeyPair();
    const policyDir = mkdtempSync(join(tmpdir(), 'cocoon-check-policy-'));
    onTestFinished(() => rmSync(policyDir, { recursive: true, force: true }));
    const file = join(policyDir, 'policy.json');
    const env = {
      ...good(),
      ATTESTATION_POLICY_FILE: file,
      ATTESTATION_POLICY_KEY: toBase64(operator.publicKey),
    };
    const write = (issuedAt: string, sequence?: number) =>
      writeFileSync(
        file,
        JSON.stringify(
          signPolicy(
            { version: 1, issuedAt, sequence, tcbStatuses: ['UpToDate'], images: [] },
            operator.secretKey,
          ),
        ),
      );
    write('2020-06-01T00:00:00.000Z');
    expect(failed(await runChecks(env))).toEqual([
      expect.stringMatching(
        /^ATTESTATION_POLICY_FILE: .*issued 2020-06-01.*the operator must sign a fresh one/,
      ),
    ]);
    write(new Date(Date.now() - 170 * 86_400_000).toISOString(), 3);
    expect(failed(await runChecks(env))).toEqual([
      expect.stringMatching(
        /^ATTESTATION_POLICY_FILE: sequence 3, .*sign a fresh one with the next sequence now/,
      ),
    ]);
    write(new Date().toISOString(), 4);
    const lines = await runChecks(env);
    expect(failed(lines)).toEqual([]);
    expect(lines.find((l) => l.name === 'ATTESTATION_POLICY_FILE')?.detail).toMatch(/^sequence 4, issued/);
  });

  it('fails a configuration that is not production: local mode and NODE_ENV', async () => {
    expect(
      failed(await runChecks({ DATA_DIR: dataDir, TELEGRAM_API_ROOT: telegramUrl })).map(
        (l) => l.split(':')[0],
      ),
    ).toEqual(expect.arrayContaining(['COCOON_LOCAL', 'NODE_ENV', 'PUBLIC_URL']));
  });
});
