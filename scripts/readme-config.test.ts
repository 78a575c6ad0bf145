// The README's Configuration section names every environment variable a program reads, so an operator
// finds each one there. The names are read out of the config modules themselves: the keys of the
// env-keyed schemas (proxy, bot), the `env`/`formerEnv` of each flag table (worker, gateway, emulator),
// direct `env.NAME` reads, and shared's renamed variables.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** The proxy's config.ts and each module's schema it merges (every config.ts under proxy/src). */
const proxyConfigModules = readdirSync(path.join(ROOT, 'proxy/src'), { recursive: true, encoding: 'utf8' })
  .filter((f) => path.basename(f) === 'config.ts')
  .map((f) => path.posix.join('proxy/src', f.split(path.sep).join('/')))
  .sort();

const CONFIG_MODULES = [
  ...proxyConfigModules,
  'bot/src/config.ts',
  'worker/src/config.ts',
  'gateway/src/config.ts',
  'emulator/src/main.ts',
  'shared/src/env.ts',
];

const NAME = '[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*';
const PATTERNS = [
  // An object key at the start of a line: a schema field (PORT: z...) or a renamed name (COCOON_PROXY: '...').
  new RegExp(`^\\s+(${NAME}):`, 'gm'),
  // A flag table's variable: { flag: 'proxy', env: 'COCOON_PROXY_URL', formerEnv: 'COCOON_PROXY' }.
  new RegExp(`\\b(?:env|formerEnv): '(${NAME})'`, 'g'),
  // A direct read: env.COCOON_SPEND_KEY, env['X'].
  new RegExp(`\\benv\\.(${NAME})\\b`, 'g'),
  new RegExp(`\\benv\\[['"](${NAME})['"]\\]`, 'g'),
];

/** Every environment variable name `source` reads, by the patterns above. */
function envNames(source: string): string[] {
  const names = new Set<string>();
  for (const pattern of PATTERNS) for (const m of source.matchAll(pattern)) names.add(m[1]);
  return [...names].sort();
}

/** The README from "## Configuration" to the next top-level section. */
function configSection(readme: string): string {
  const start = readme.indexOf('\n## Configuration\n');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe('README configuration section', () => {
  it('reads the names out of every kind of declaration', () => {
    const source = [
      'const s = z.object({',
      '  PORT: z.coerce.number(),',
      '  /** LOG_ONLY_IN_A_COMMENT: not read */',
      '});',
      "const FLAGS = { proxy: { flag: 'proxy', env: 'COCOON_PROXY_URL', formerEnv: 'COCOON_PROXY' } };",
      'const k = env.COCOON_SPEND_KEY?.trim();',
    ].join('\n');
    expect(envNames(source)).toEqual(['COCOON_PROXY', 'COCOON_PROXY_URL', 'COCOON_SPEND_KEY', 'PORT']);
  });

  it('finds the variables of each program', () => {
    const all = CONFIG_MODULES.flatMap((f) => envNames(read(f)));
    for (const n of [
      'PORT',
      'BOT_MODE',
      'COCOON_RIG_TOKEN_FILE',
      'GATEWAY_MIN_TRUST',
      'LOG_FORMAT',
      'COCOON_PROXY',
    ])
      expect(all).toContain(n);
    expect(new Set(all).size).toBeGreaterThan(100);
  });

  it('names every variable a program reads', () => {
    const section = configSection(read('README.md'));
    expect(section.length).toBeGreaterThan(1000);
    const missing = CONFIG_MODULES.flatMap((file) =>
      envNames(read(file))
        .filter((n) => !new RegExp(`\\b${n}\\b`).test(section))
        .map((n) => `${n} (${file})`),
    );
    expect(missing, "variables the README's Configuration section doesn't mention").toEqual([]);
  });
});
