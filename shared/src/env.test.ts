import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { envBool, envInt, envList, logLevelSchema, parseEnv, readEnv, sharedSecretProblems } from './env';

const schema = z.object({
  PORT: z.coerce.number().int().default(8080),
  DEBUG: envBool.optional(),
  LOG_LEVEL: logLevelSchema.default('info'),
  COCOON_PROXY_URL: z.string().url().optional(),
});

describe('parseEnv', () => {
  it('treats empty strings as unset and parses the rest', () => {
    expect(parseEnv(schema, { PORT: '', DEBUG: 'yes' }, { service: 'test' })).toEqual({
      PORT: 8080,
      DEBUG: true,
      LOG_LEVEL: 'info',
    });
  });

  it('throws one Error naming every bad variable', () => {
    expect(() =>
      parseEnv(schema, { PORT: 'x', DEBUG: 'maybe', LOG_LEVEL: 'loud' }, { service: 'test' }),
    ).toThrow(
      /^invalid test configuration:\n {2}PORT: .*\n {2}DEBUG: .*\n {2}LOG_LEVEL: must be fatal, error/,
    );
  });

  it('reads a renamed variable under its new name, with a warning; the new name wins', () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    const env = { COCOON_PROXY: 'http://old', COCOON_LOG_LEVEL: 'debug' };
    const renamed = ['COCOON_PROXY', 'COCOON_LOG_LEVEL'] as const;
    expect(parseEnv(schema, env, { service: 'test', renamed, warn })).toMatchObject({
      COCOON_PROXY_URL: 'http://old',
      LOG_LEVEL: 'debug',
    });
    expect(warnings).toEqual([
      'COCOON_PROXY is deprecated; use COCOON_PROXY_URL',
      'COCOON_LOG_LEVEL is deprecated; use LOG_LEVEL',
    ]);
    const both = { COCOON_PROXY: 'http://old', COCOON_PROXY_URL: 'http://new' };
    expect(readEnv(both, 'COCOON_PROXY_URL', 'COCOON_PROXY')).toBe('http://new');
    // A program that never read the old name doesn't start now.
    warnings.length = 0;
    expect(parseEnv(schema, env, { service: 'test', warn }).LOG_LEVEL).toBe('info');
    expect(warnings).toEqual([]);
  });

  it('finds secrets shared between names', () => {
    expect(
      sharedSecretProblems([
        ['A', 's'],
        ['B', undefined],
        ['C', 's'],
      ]),
    ).toEqual(['C: must be its own secret, not the same as A']);
  });
});

describe('envInt and envList', () => {
  it('defaults, coerces and bounds a whole number: above 0 unless min says otherwise', () => {
    expect(envInt(30).parse(undefined)).toBe(30);
    expect(envInt(30).parse('7')).toBe(7);
    expect(envInt(30).safeParse('0').success).toBe(false);
    expect(envInt(30, { min: 0 }).parse('0')).toBe(0);
    expect(envInt(30, { min: 1, max: 10 }).safeParse('11').success).toBe(false);
    expect(envInt(30, { min: 1, max: 10 }).safeParse('2.5').success).toBe(false);
  });

  it('splits a comma-separated list, dropping blanks', () => {
    expect(envList('a,b').parse(undefined)).toEqual(['a', 'b']);
    expect(envList('').parse(' x , ,y ')).toEqual(['x', 'y']);
  });
});
