import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_VOUCHER_STORE, loadClientConfig } from './config';

function fails(argv: string[], env: Record<string, string> = {}): string {
  try {
    loadClientConfig(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('the gateway command line', () => {
  it('reads flags, falls back to the environment, and defaults to 127.0.0.1:10000', () => {
    expect(loadClientConfig(['--proxy', 'http://127.0.0.1:8080', '--api-key', 'ck_1234567890'], {})).toEqual({
      help: false,
      config: {
        proxyUrl: 'http://127.0.0.1:8080',
        apiKey: 'ck_1234567890',
        port: 10000,
        host: '127.0.0.1',
        logLevel: 'info',
        logFormat: 'json',
        minTrust: 'open',
        requestTimeoutMs: 30_000,
      },
    });
    const fromEnv = loadClientConfig(['--port', '0'], {
      COCOON_PROXY: 'https://proxy.example',
      COCOON_API_KEY: 'ck_abcdefghij',
      COCOON_CLIENT_PORT: '12345',
    });
    expect(fromEnv).toMatchObject({
      config: { proxyUrl: 'https://proxy.example', apiKey: 'ck_abcdefghij', port: 0 },
    });
    expect(loadClientConfig(['-h'], {})).toEqual({ help: true });
  });

  it('names every bad or missing value', () => {
    const msg = fails(['--port', '70000', '--proxy', 'ftp://x'], {});
    expect(msg).toContain('--proxy (or COCOON_PROXY_URL): must be an http:// or https:// URL');
    expect(msg).toContain('--api-key (or COCOON_API_KEY): is required');
    expect(msg).toContain('--port (or COCOON_CLIENT_PORT): must be 0–65535');
    expect(fails(['--proxy', 'not a url', '--api-key', 'ck_1234567890'])).toContain('must be a URL');
    expect(fails(['--port', 'abc', '--proxy', 'http://x', '--api-key', 'ck_1234567890'])).toContain(
      'must be a port number',
    );
    expect(fails(['--bogus'])).toMatch(/Unknown option '--bogus'/);
    expect(fails(['--api-key', 'short', '--proxy', 'http://x'])).toContain('too short');
  });

  it('reads the attestation policy key, a PCCS and the default trust tier', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const base = ['--proxy', 'http://127.0.0.1:8080', '--api-key', 'ck_1234567890'];
    expect(
      loadClientConfig(base, {
        ATTESTATION_POLICY_KEY: key,
        PCCS_URL: 'https://pccs.example/sgx/certification/v4/',
        GATEWAY_MIN_TRUST: 'tdx',
      }),
    ).toMatchObject({
      config: {
        attestationPolicyKey: key,
        pccsUrl: 'https://pccs.example/sgx/certification/v4/',
        minTrust: 'tdx',
      },
    });
    expect(fails([...base, '--attestation-policy-key', key.slice(0, 40)])).toContain(
      '--attestation-policy-key (or ATTESTATION_POLICY_KEY): must be an Ed25519 public key in base64 (32 bytes',
    );
    expect(fails([...base, '--pccs-url', 'nope'])).toContain('--pccs-url (or PCCS_URL): must be a URL');
    expect(fails([...base, '--min-trust', 'sgx'])).toContain('--min-trust (or GATEWAY_MIN_TRUST)');
    expect(fails([...base, '--min-trust', 'tdx'])).toContain(
      "--min-trust (or GATEWAY_MIN_TRUST): tdx needs the operator's attestation policy key",
    );
  });
});

describe('the gateway spend key', () => {
  const SEED = Buffer.alloc(32, 7).toString('base64');
  const BASE = ['--proxy', 'http://127.0.0.1:8080', '--api-key', 'ck_1234567890'];
  const files: Record<string, string> = { '/k/spend': `${SEED}\n`, '/k/bad': 'not a key' };
  const read = (f: string) => {
    if (!(f in files)) throw new Error(`ENOENT: no such file or directory, open '${f}'`);
    return files[f];
  };
  const load = (argv: string[], env: Record<string, string> = {}) => {
    const r = loadClientConfig([...BASE, ...argv], env, undefined, read);
    if (r.help) throw new Error('help');
    return r.config;
  };
  const bad = (argv: string[], env: Record<string, string> = {}) => {
    try {
      load(argv, env);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message.split('\n\n')[0];
    }
    throw new Error('expected a ConfigError');
  };

  it('reads the seed from a file or COCOON_SPEND_KEY, with the voucher store in ~/.config by default', () => {
    expect(load([]).spendKey).toBeUndefined();
    const fromFile = load(['--spend-key-file', '/k/spend', '--voucher-store', '/v/store.json']);
    expect(fromFile.spendKey).toEqual({ seed: new Uint8Array(32).fill(7), storePath: '/v/store.json' });
    const fromEnv = load([], { COCOON_SPEND_KEY: SEED });
    expect(fromEnv.spendKey?.seed).toEqual(new Uint8Array(32).fill(7));
    expect(fromEnv.spendKey?.storePath).toBe(DEFAULT_VOUCHER_STORE);
    expect(DEFAULT_VOUCHER_STORE).toMatch(/\.config\/cocoon-gateway\/voucher\.json$/);
    expect(
      load([], { COCOON_SPEND_KEY_FILE: '/k/spend', COCOON_VOUCHER_STORE: 'rel.json' }).spendKey?.storePath,
    ).toBe(path.resolve('rel.json'));
  });

  it('says precisely what is wrong with it', () => {
    expect(bad([], { COCOON_SPEND_KEY: 'abc' })).toBe(
      "invalid arguments:\n  COCOON_SPEND_KEY: must be the spend key's seed in base64 (32 bytes: 43 characters and one =)",
    );
    expect(bad(['--spend-key-file', '/k/bad'])).toBe(
      "invalid arguments:\n  --spend-key-file (or COCOON_SPEND_KEY_FILE): /k/bad must hold the spend key's seed in base64 (32 bytes: 43 characters and one =)",
    );
    expect(bad(['--spend-key-file', '/k/none'])).toBe(
      "invalid arguments:\n  --spend-key-file (or COCOON_SPEND_KEY_FILE): can't read /k/none: ENOENT: no such file or directory, open '/k/none'",
    );
    expect(bad(['--spend-key-file', '/k/spend'], { COCOON_SPEND_KEY: SEED })).toBe(
      'invalid arguments:\n  --spend-key-file (or COCOON_SPEND_KEY_FILE): give the spend key once: this file or COCOON_SPEND_KEY, not both',
    );
    expect(bad(['--voucher-store', '/v/x.json'])).toBe(
      'invalid arguments:\n  --voucher-store (or COCOON_VOUCHER_STORE): needs a spend key (--spend-key-file or COCOON_SPEND_KEY)',
    );
    // The key itself is never a flag.
    expect(bad(['--spend-key', SEED])).toMatch(/Unknown option '--spend-key'/);
  });
});
