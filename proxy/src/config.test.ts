// A production start is safe by default: local mode (dev routes, public dev keys) only where harmless.
import { describe, expect, it } from 'vitest';
import { DEV_ADMIN_KEY, DEV_BOT_TOKEN, DEV_SERVICE_KEY, loadConfig } from './config';
import { PRODUCTION_SECRETS } from './testing/harness';

const MNEMONIC = { TONCENTER_URL: 'http://127.0.0.1:9/api/v2', SERVICE_WALLET_MNEMONIC: 'w '.repeat(24) };

describe('proxy configuration', () => {
  it('bounds the Stars settings, naming each bad one', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      STARS_NANOTON_PER_STAR: 4_000_000n,
      STARS_PACKS: [50, 250, 1000],
      STARS_REFUND_WINDOW_MS: 7 * 86_400_000,
      STARS_EARNINGS_HOLD_MS: 21 * 86_400_000,
    });
    expect(loadConfig({ STARS_PACKS: ' 10, 20 ' }).STARS_PACKS).toEqual([10, 20]);
    expect(() => loadConfig({ STARS_NANOTON_PER_STAR: '4000000000' })).toThrow(
      /STARS_NANOTON_PER_STAR: must be between/,
    );
    expect(() => loadConfig({ STARS_NANOTON_PER_STAR: '10' })).toThrow(/STARS_NANOTON_PER_STAR/);
    expect(() => loadConfig({ STARS_PACKS: '50,50' })).toThrow(/STARS_PACKS: must not repeat a pack/);
    expect(() => loadConfig({ STARS_PACKS: '50,20000' })).toThrow(/STARS_PACKS.*at most 10000 Stars/);
    expect(() => loadConfig({ STARS_PACKS: '50,2.5' })).toThrow(/STARS_PACKS.*whole numbers of Stars/);
    expect(() => loadConfig({ STARS_EARNINGS_HOLD_MS: '-1' })).toThrow(/STARS_EARNINGS_HOLD_MS/);
  });

  it('with nothing set runs in local mode with the dev token and the public dev keys', () => {
    const c = loadConfig({});
    expect(c.COCOON_LOCAL).toBe(true);
    expect(c.BOT_TOKEN).toBe(DEV_BOT_TOKEN);
    expect(c.SERVICE_KEY).toBe(DEV_SERVICE_KEY);
    expect(c.ADMIN_KEY).toBe(DEV_ADMIN_KEY);
  });

  it('with a real bot token leaves local mode and needs every secret of its own', () => {
    const c = loadConfig(PRODUCTION_SECRETS);
    expect(c.COCOON_LOCAL).toBe(false);
    expect(c.SERVICE_KEY).toBe(PRODUCTION_SECRETS.SERVICE_KEY);
    expect(loadConfig({ ...PRODUCTION_SECRETS, ADMIN_KEY: '' }).ADMIN_KEY).toBeUndefined();
    expect(() => loadConfig({ BOT_TOKEN: PRODUCTION_SECRETS.BOT_TOKEN })).toThrow(
      /SERVICE_KEY: required outside local mode/,
    );
    expect(() => loadConfig({ ...PRODUCTION_SECRETS, SERVICE_KEY: DEV_SERVICE_KEY })).toThrow(
      /SERVICE_KEY: the public dev key only works in local mode/,
    );
    expect(() => loadConfig({ ...PRODUCTION_SECRETS, ADMIN_KEY: DEV_ADMIN_KEY })).toThrow(
      /ADMIN_KEY: the public dev key/,
    );
    expect(() => loadConfig({ ...PRODUCTION_SECRETS, ADMIN_KEY: PRODUCTION_SECRETS.SERVICE_KEY })).toThrow(
      /ADMIN_KEY: must be its own secret, not the same as SERVICE_KEY/,
    );
  });

  it('on testnet or mainnet leaves local mode even with the dev token', () => {
    expect(() => loadConfig({ TON_NETWORK: 'testnet', ...MNEMONIC })).toThrow(/BOT_TOKEN: required/);
    expect(loadConfig({ ...PRODUCTION_SECRETS, TON_NETWORK: 'mainnet', ...MNEMONIC }).COCOON_LOCAL).toBe(
      false,
    );
  });

  it('outside local mode refuses the public dev bot token, naming BOT_TOKEN', () => {
    const devToken = { ...PRODUCTION_SECRETS, BOT_TOKEN: DEV_BOT_TOKEN };
    for (const network of ['testnet', 'mainnet'])
      expect(() => loadConfig({ ...devToken, TON_NETWORK: network, ...MNEMONIC })).toThrow(
        /BOT_TOKEN: the public dev token only works in local mode/,
      );
    expect(() => loadConfig({ ...devToken, COCOON_LOCAL: 'false' })).toThrow(
      /BOT_TOKEN: the public dev token only works in local mode/,
    );
    // Local mode keeps it (that is what `npm start` runs with).
    expect(loadConfig({ BOT_TOKEN: DEV_BOT_TOKEN }).COCOON_LOCAL).toBe(true);
  });

  it('refuses an explicit COCOON_LOCAL=true wherever local mode is unsafe, naming the conflict', () => {
    expect(() => loadConfig({ ...PRODUCTION_SECRETS, COCOON_LOCAL: 'true' })).toThrow(
      /COCOON_LOCAL: .*a real BOT_TOKEN/,
    );
    expect(() => loadConfig({ COCOON_LOCAL: 'true', TON_NETWORK: 'testnet', ...MNEMONIC })).toThrow(
      /COCOON_LOCAL: .*TON_NETWORK=testnet/,
    );
    expect(() => loadConfig({ COCOON_LOCAL: 'true', NODE_ENV: 'production' })).toThrow(
      /COCOON_LOCAL: .*NODE_ENV=production/,
    );
    // Turning it off is always allowed (then the secrets are required).
    expect(() => loadConfig({ COCOON_LOCAL: 'false' })).toThrow(/BOT_TOKEN: required outside local mode/);
  });

  it('in production refuses the dev token and the sandbox chain', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /BOT_TOKEN: NODE_ENV=production needs the real bot token[\s\S]*TON_NETWORK: NODE_ENV=production needs testnet or mainnet/,
    );
    expect(() => loadConfig({ ...PRODUCTION_SECRETS, NODE_ENV: 'production' })).toThrow(/TON_NETWORK/);
    const c = loadConfig({
      ...PRODUCTION_SECRETS,
      NODE_ENV: 'production',
      TON_NETWORK: 'mainnet',
      ...MNEMONIC,
    });
    expect(c.COCOON_LOCAL).toBe(false);
  });

  it('refuses a TON endpoint of the other network, naming TONCENTER_URL', () => {
    const base = { ...PRODUCTION_SECRETS, SERVICE_WALLET_MNEMONIC: MNEMONIC.SERVICE_WALLET_MNEMONIC };
    expect(() =>
      loadConfig({ ...base, TON_NETWORK: 'mainnet', TONCENTER_URL: 'https://testnet.toncenter.com/api/v2' }),
    ).toThrow(/TONCENTER_URL: a testnet endpoint with TON_NETWORK=mainnet/);
    expect(() =>
      loadConfig({ ...base, TON_NETWORK: 'testnet', TONCENTER_URL: 'https://toncenter.com/api/v2' }),
    ).toThrow(/TONCENTER_URL: the mainnet endpoint with TON_NETWORK=testnet/);
    expect(
      loadConfig({ ...base, TON_NETWORK: 'testnet', TONCENTER_URL: 'https://testnet.toncenter.com/api/v2' })
        .TON_NETWORK,
    ).toBe('testnet');
  });

  it('in production refuses an http PUBLIC_URL (the TON Connect manifest names it)', () => {
    const prod = { ...PRODUCTION_SECRETS, NODE_ENV: 'production', TON_NETWORK: 'mainnet', ...MNEMONIC };
    expect(() => loadConfig({ ...prod, PUBLIC_URL: 'http://cocoon.example.org' })).toThrow(
      /PUBLIC_URL: NODE_ENV=production needs an https:\/\/ address/,
    );
    expect(loadConfig({ ...prod, PUBLIC_URL: 'https://cocoon.example.org' }).PUBLIC_URL).toMatch(/^https:/);
  });

  it('with on-chain accounts off the sandbox needs an operator key of its own', () => {
    const base = { ...PRODUCTION_SECRETS, TON_NETWORK: 'testnet', ...MNEMONIC, ONCHAIN_ACCOUNTS: 'true' };
    expect(() => loadConfig(base)).toThrow(
      /OPERATOR_KEY: required with ONCHAIN_ACCOUNTS off the sandbox chain/,
    );
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ ...base, OPERATOR_KEY: key }).OPERATOR_KEY).toBe(key);
    expect(() => loadConfig({ ...base, OPERATOR_KEY: 'short' })).toThrow(
      /OPERATOR_KEY: must be a 32-byte Ed25519 seed/,
    );
    expect(() => loadConfig({ ...base, OPERATOR_KEY: key, ADMIN_KEY: key })).toThrow(/OPERATOR_KEY/);
  });

  it('bounds the channel and HTTP settings, naming the variable', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      HELLO_TIMEOUT_MS: 5000,
      RATE_WORKER_UPGRADES_PER_IP_PER_MIN: 300,
      RATE_AUTH_FAILURES_PER_IP_PER_MIN: 30,
      HTTP_REQUEST_TIMEOUT_MS: 30_000,
      HTTP_HEADERS_TIMEOUT_MS: 10_000,
    });
    expect(() => loadConfig({ HELLO_TIMEOUT_MS: '0' })).toThrow(/HELLO_TIMEOUT_MS/);
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: 'never' })).toThrow(/HTTP_REQUEST_TIMEOUT_MS/);
    expect(() => loadConfig({ HTTP_IDLE_TIMEOUT_MS: '1000' })).toThrow(/HTTP_IDLE_TIMEOUT_MS/);
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '9000' })).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS: must not be over HTTP_REQUEST_TIMEOUT_MS/,
    );
  });

  it('TRUST_PROXY is off by default and takes only the reverse proxies it names', () => {
    expect(loadConfig({}).TRUST_PROXY).toBeUndefined();
    expect(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: ' 127.0.0.1, 10.0.0.0/8,::1,loopback ' }).TRUST_PROXY).toEqual([
      '127.0.0.1',
      '10.0.0.0/8',
      '::1',
      'loopback',
    ]);
    // Each of these would believe a client that names its own address in X-Forwarded-For.
    for (const everyone of ['true', '0.0.0.0/0', '::/0', '2'])
      expect(() => loadConfig({ TRUST_PROXY: everyone })).toThrow(/TRUST_PROXY: .*127\.0\.0\.1/);
    for (const bad of ['nginx', '10.0.0.0/33', '300.1.1.1', '10.0.0.1/8/2'])
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(/TRUST_PROXY: /);
  });
});
