#!/usr/bin/env node
// `npm test`: typecheck, lint, every Vitest project (database suites on PGlite), the database suites again
// on PostgreSQL when TEST_DATABASE_URL is set, then the browser specs. Ends with "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const e2eOnly = process.argv.includes('--e2e-only');
const outDir = join('.test-results');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

let passed = 0;
let failed = 0;
let skipped = 0;
const problems = [];

function run(label, cmd, args, env = {}) {
  console.log(`\n▶ ${label}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status === 0;
}

function check(label, cmd, args) {
  if (run(label, cmd, args)) passed++;
  else {
    failed++;
    problems.push(label);
  }
}

function vitest(label, args, env = {}) {
  const file = join(outDir, `${label.replace(/\W+/g, '-')}.json`);
  const ok = run(
    label,
    'npx',
    ['vitest', 'run', ...args, '--reporter=default', '--reporter=json', `--outputFile.json=${file}`],
    env,
  );
  if (!existsSync(file)) {
    failed++;
    problems.push(`${label} (no report)`);
    return;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + (report.numTodoTests ?? 0);
  if (!ok || report.numFailedTests > 0 || report.numFailedTestSuites > 0) {
    problems.push(label);
    if (report.numFailedTests === 0) failed++;
  }
}

if (!e2eOnly) {
  check('typecheck (tsc)', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
  check('lint (biome)', 'npx', ['biome', 'check', '.']);
  vitest('unit + db on PGlite + miniapp', ['--project', 'unit', '--project', 'db', '--project', 'miniapp'], {
    DATABASE_URL: '',
  });
  vitest('chaos: a cheater among real rigs', ['--project', 'chaos'], { DATABASE_URL: '' });
  // The packed worker from an empty folder (npm pack, npm install from the registry, a real proxy): in CI, or
  // when asked for with PACK_CHECK=1 (it needs the npm registry; about a minute).
  if (process.env.CI || process.env.PACK_CHECK === '1')
    check('packed worker (npm pack, install in an empty folder, serve a job)', 'npx', [
      'tsx',
      'scripts/pack-worker-check.ts',
    ]);
  else console.log('\n(skipping the packed worker check outside CI; run it with PACK_CHECK=1 npm test)');
  if (process.env.TEST_DATABASE_URL) {
    vitest('db on PostgreSQL', ['--project', 'db'], { DATABASE_URL: process.env.TEST_DATABASE_URL });
  } else {
    console.log('\n(TEST_DATABASE_URL is not set: the database suites ran on PGlite only)');
  }
}
// The browser specs drive Debian's Chromium. On a developer machine without it they are skipped with a
// hint; in CI (CI=true, where .ci/run installs it) a missing browser is a failure.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (existsSync(chromium) || process.env.CI) vitest('browser specs (e2e)', ['--project', 'e2e']);
else {
  console.log(
    `\n(skipping the browser specs: ${chromium} not found; install it with: sudo apt-get install chromium)`,
  );
  skipped++;
}

if (problems.length) console.log(`\nfailed: ${problems.join(', ')}`);
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
