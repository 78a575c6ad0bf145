import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseFlags } from './flags';

const schema = z.object({
  proxy: z.string({ error: 'is required' }).url('must be a URL'),
  slots: z.coerce.number().int().min(1, 'must be at least 1').default(1),
  demo: z.boolean().default(true),
});
const flags = {
  proxy: { flag: 'proxy', env: 'COCOON_PROXY_URL', formerEnv: 'COCOON_PROXY' as const },
  slots: { flag: 'slots', env: 'COCOON_SLOTS' },
  demo: { flag: 'demo', boolean: true },
};

describe('parseFlags', () => {
  it('reads flags, falls back to env (renamed names with a warning), flags win', () => {
    const warnings: string[] = [];
    const r = parseFlags({
      argv: ['--slots', '3'],
      env: { COCOON_PROXY: 'http://p', COCOON_SLOTS: '9' },
      flags,
      schema,
      warn: (m) => warnings.push(m),
    });
    expect(r).toEqual({ kind: 'ok', config: { proxy: 'http://p', slots: 3, demo: true } });
    expect(warnings).toEqual(['COCOON_PROXY is deprecated; use COCOON_PROXY_URL']);
  });

  it('names each bad field by flag and variable; answers help; refuses unknown flags', () => {
    const r = parseFlags({ argv: ['--slots', '0'], env: {}, flags, schema });
    expect(r.kind === 'error' && r.lines).toEqual([
      '--proxy (or COCOON_PROXY_URL): is required',
      '--slots (or COCOON_SLOTS): must be at least 1',
    ]);
    expect(parseFlags({ argv: ['-h'], flags, schema }).kind).toBe('help');
    const bad = parseFlags({ argv: ['--bogus'], flags, schema });
    expect(bad.kind === 'error' && bad.message).toMatch(/Unknown option '--bogus'/);
  });
});
