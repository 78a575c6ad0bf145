import { describe, expect, it } from 'vitest';
import { ConfigError, loadClientConfig } from './config';

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
