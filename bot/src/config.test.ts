import { describe, expect, it } from 'vitest';
import { DEV_SERVICE_KEY, devHistoryKey, loadBotConfig } from './config';

describe('bot config', () => {
  it('fills local defaults', () => {
    const c = loadBotConfig({ BOT_TOKEN: '123:abc' });
    expect(c.SERVICE_KEY).toBe(DEV_SERVICE_KEY);
    expect(c.HISTORY_KEY).toBe(devHistoryKey('123:abc'));
    expect(c.COCOON_PROXY_URL).toBe('http://127.0.0.1:8080');
    expect(c.BOT_MODE).toBe('polling');
    expect(c.SUMMARIZE_MODEL).toBe('summarize-extractive');
    expect(c.GENERATE_MODEL).toBe('demo-gen');
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
});
