import { describe, expect, it } from 'vitest';
import { DEV_SERVICE_KEY, devHistoryKey, LOCAL_BOT_TOKEN, loadBotConfig } from './config';

const REAL = { BOT_TOKEN: '123:abc', SERVICE_KEY: 's'.repeat(32), HISTORY_KEY: 'h'.repeat(32) };

describe('bot config', () => {
  it('fills local defaults with the dev bot token', () => {
    const c = loadBotConfig({ BOT_TOKEN: LOCAL_BOT_TOKEN });
    expect(c.COCOON_LOCAL).toBe(true);
    expect(c.SERVICE_KEY).toBe(DEV_SERVICE_KEY);
    expect(c.HISTORY_KEY).toBe(devHistoryKey(LOCAL_BOT_TOKEN));
    expect(c.COCOON_PROXY_URL).toBe('http://127.0.0.1:8080');
    expect(c.BOT_MODE).toBe('polling');
    expect(c.SUMMARIZE_MODEL).toBe('summarize-extractive');
    expect(c.GENERATE_MODEL).toBe('demo-gen');
  });

  it("keeps the Stars pre-checkout wait inside Telegram's 10 seconds, and bounds the payment reports", () => {
    const c = loadBotConfig(REAL);
    expect(c.STARS_PRECHECKOUT_TIMEOUT_MS).toBe(5000);
    expect(c.STARS_REPORT_ATTEMPTS).toBe(5);
    expect(c.PAYMENT_SUPPORT).toBeUndefined();
    expect(() => loadBotConfig({ ...REAL, STARS_PRECHECKOUT_TIMEOUT_MS: '10000' })).toThrow(
      /STARS_PRECHECKOUT_TIMEOUT_MS/,
    );
    expect(() => loadBotConfig({ ...REAL, STARS_REPORT_ATTEMPTS: '0' })).toThrow(/STARS_REPORT_ATTEMPTS/);
    expect(() => loadBotConfig({ ...REAL, PAYMENT_SUPPORT: 'x'.repeat(201) })).toThrow(/PAYMENT_SUPPORT/);
  });

  it('with a real token: no dev defaults, every secret its own and required', () => {
    const c = loadBotConfig(REAL);
    expect(c.COCOON_LOCAL).toBe(false);
    expect(c.HISTORY_KEY).toBe(REAL.HISTORY_KEY);
    // No history key derived from the token (the proxy holds the token too, it could derive it).
    expect(() => loadBotConfig({ ...REAL, HISTORY_KEY: '' })).toThrow(
      /HISTORY_KEY: required outside local mode/,
    );
    expect(() => loadBotConfig({ ...REAL, SERVICE_KEY: '' })).toThrow(
      /SERVICE_KEY: required outside local mode/,
    );
    expect(() => loadBotConfig({ ...REAL, SERVICE_KEY: DEV_SERVICE_KEY })).toThrow(/public dev key/);
    expect(() => loadBotConfig({ ...REAL, HISTORY_KEY: REAL.SERVICE_KEY })).toThrow(
      /HISTORY_KEY: must be its own secret, not the same as SERVICE_KEY/,
    );
  });

  it('refuses local mode with a real token or in production, naming the conflict', () => {
    expect(() => loadBotConfig({ ...REAL, COCOON_LOCAL: 'true' })).toThrow(/COCOON_LOCAL.*a real BOT_TOKEN/);
    expect(() => loadBotConfig({ BOT_TOKEN: LOCAL_BOT_TOKEN, NODE_ENV: 'production' })).toThrow(
      /BOT_TOKEN: NODE_ENV=production needs the real bot token/,
    );
    expect(() => loadBotConfig({ ...REAL, NODE_ENV: 'production', COCOON_LOCAL: 'true' })).toThrow(
      /NODE_ENV=production/,
    );
    const https = { MINIAPP_URL: 'https://app.example.org/' };
    expect(loadBotConfig({ ...REAL, ...https, NODE_ENV: 'production' }).COCOON_LOCAL).toBe(false);
  });

  it('outside local mode refuses the public dev bot token, naming BOT_TOKEN', () => {
    expect(() => loadBotConfig({ ...REAL, BOT_TOKEN: LOCAL_BOT_TOKEN, COCOON_LOCAL: 'false' })).toThrow(
      /BOT_TOKEN: the public dev token only works in local mode/,
    );
  });

  it('in production refuses a Mini App URL that is not https (the default one included)', () => {
    const prod = { ...REAL, NODE_ENV: 'production' };
    expect(() => loadBotConfig({ ...prod, MINIAPP_URL: 'http://app.example.org/' })).toThrow(
      /MINIAPP_URL: NODE_ENV=production needs an https:\/\/ address/,
    );
    expect(() => loadBotConfig(prod)).toThrow(/MINIAPP_URL/);
    // Outside production (the emulator, a staging bot on a LAN) http stays allowed.
    expect(loadBotConfig({ ...REAL, MINIAPP_URL: 'http://127.0.0.1:8080/' }).MINIAPP_URL).toMatch(/^http:/);
  });

  it('names every bad or missing variable', () => {
    expect(() => loadBotConfig({})).toThrow(/BOT_TOKEN/);
    expect(() => loadBotConfig({ BOT_TOKEN: '123:abc', COCOON_LOCAL: 'false' })).toThrow(
      /SERVICE_KEY[\s\S]*HISTORY_KEY/,
    );
    expect(() => loadBotConfig({ BOT_TOKEN: '123:abc', BOT_MODE: 'webhook' })).toThrow(/WEBHOOK_URL/);
    expect(() => loadBotConfig({ BOT_TOKEN: '123:abc', SUMMARIZE_MAX_MESSAGES: '5000' })).toThrow(
      /SUMMARIZE_MAX_MESSAGES/,
    );
  });

  it('reads the attestation policy key and a PCCS (https in production)', () => {
    const key = Buffer.alloc(32, 5).toString('base64');
    const c = loadBotConfig({ ...REAL, ATTESTATION_POLICY_KEY: key, PCCS_URL: 'http://127.0.0.1:8082/' });
    expect(c.ATTESTATION_POLICY_KEY).toBe(key);
    expect(c.PCCS_URL).toBe('http://127.0.0.1:8082/');
    expect(loadBotConfig(REAL).ATTESTATION_POLICY_KEY).toBeUndefined();
    expect(() => loadBotConfig({ ...REAL, ATTESTATION_POLICY_KEY: key.replace('=', '') })).toThrow(
      /ATTESTATION_POLICY_KEY: must be an Ed25519 public key in base64 \(32 bytes/,
    );
    expect(() => loadBotConfig({ ...REAL, PCCS_URL: 'pccs' })).toThrow(/PCCS_URL/);
    expect(() =>
      loadBotConfig({ ...REAL, NODE_ENV: 'production', MINIAPP_URL: 'https://x', PCCS_URL: 'http://p/' }),
    ).toThrow(/PCCS_URL: NODE_ENV=production needs an https:\/\/ address/);
  });
});
