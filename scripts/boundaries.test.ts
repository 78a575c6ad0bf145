// The package boundaries hold on the real tree, and the checker catches each kind of violation when one is
// planted (virtual files, checked with the real packages' package.json).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkBoundaries,
  checkImportCircles,
  checkTestHelperNames,
  importSpecifiers,
  loadWorkspace,
  scanSource,
  sqlOutsideRepositories,
} from './boundaries';

const ROOT = path.resolve(import.meta.dirname, '..');
const workspace = loadWorkspace(ROOT);
// This file's string literals are the planted violations below; every other source file is checked.
const realFiles = workspace.files.filter((f) => f.path !== 'scripts/boundaries.test.ts');
const check = (file: string, text: string) => checkBoundaries(workspace.packages, [{ path: file, text }]);

describe('package boundaries', () => {
  it('reads every workspace package and its source', () => {
    const names = workspace.packages.map((p) => p.name);
    for (const n of ['@cocoon/shared', '@cocoon/proxy', '@cocoon/worker', '@cocoon/bot', '@cocoon/gateway'])
      expect(names).toContain(n);
    for (const n of ['@cocoon/emulator', '@cocoon/bench', '@cocoon/miniapp', '@cocoon/e2e'])
      expect(names).toContain(n);
    expect(workspace.files.length).toBeGreaterThan(150);
    const specs = realFiles.flatMap((f) => importSpecifiers(f.text));
    expect(specs.filter((s) => s.startsWith('@cocoon/')).length).toBeGreaterThan(50);
  });

  it('the real tree has no violation', () => {
    expect(checkBoundaries(workspace.packages, realFiles)).toEqual([]);
  });

  it('finds the specifiers of every import form, not those in comments', () => {
    const text = [
      "import { a } from '@cocoon/shared';",
      "import type { B } from '../b';",
      "export { c } from './c';",
      "import './side-effect';",
      "const d = await import('@cocoon/proxy');",
      "vi.mock('../mocked', () => ({}));",
      "// import { e } from '../../commented-out';",
      "/* import { f } from '../../also-commented'; */",
    ].join('\n');
    expect(importSpecifiers(text)).toEqual([
      '@cocoon/shared',
      '../b',
      './c',
      './side-effect',
      '@cocoon/proxy',
      '../mocked',
    ]);
  });

  it('(a) fails on a relative import that leaves its package', () => {
    const problems = check('bot/src/planted.ts', "import { buildProxy } from '../../proxy/src/app';");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("bot/src/planted.ts: '../../proxy/src/app' leaves @cocoon/bot");
    expect(check('scripts/planted.ts', "import { startLocalBot } from '../bot/src/local';")[0]).toContain(
      'leaves cocoon',
    );
    expect(check('e2e/planted.ts', "export { x } from '../emulator/src/world';")[0]).toContain(
      "leaves @cocoon/e2e for @cocoon/emulator's files",
    );
    // Within the package, relative imports are fine.
    expect(check('bot/src/bot/planted.ts', "import { text } from '../text';")).toEqual([]);
  });

  it('(b) fails on an import of a package the importer does not declare', () => {
    const problems = check('gateway/src/planted.ts', "import { buildProxy } from '@cocoon/proxy';");
    expect(problems).toEqual([
      "gateway/src/planted.ts: '@cocoon/proxy' is not declared in @cocoon/gateway's package.json dependencies",
    ]);
    expect(check('shared/src/planted.ts', "const w = await import('@cocoon/worker');")[0]).toContain(
      'is not declared in @cocoon/shared',
    );
    expect(check('proxy/src/planted.ts', "import { x } from '@cocoon/nope';")[0]).toContain(
      'names no workspace package',
    );
    expect(check('shared/src/planted.ts', "import { x } from '@cocoon/shared';")[0]).toContain(
      'its own package',
    );
    // Declared and exported: fine.
    expect(check('gateway/src/planted.ts', "import { ApiError } from '@cocoon/shared';")).toEqual([]);
  });

  it('(c) fails on an import of a subpath the target package does not export', () => {
    const problems = check('e2e/planted.ts', "import type { Db } from '@cocoon/proxy/db/index';");
    expect(problems).toEqual([
      "e2e/planted.ts: '@cocoon/proxy/db/index' is not an entry point @cocoon/proxy exports (it exports '.', './testing')",
    ]);
    expect(
      check('miniapp/src/planted.ts', "import { formatTon } from '@cocoon/shared/pricing';")[0],
    ).toContain("'@cocoon/shared/pricing' is not an entry point @cocoon/shared exports");
    // Both (b) and (c) at once.
    expect(
      check('bot/src/planted.ts', "import { harness } from '@cocoon/proxy/testing/harness';"),
    ).toHaveLength(2);
    // A declared package's exported testing entry: fine.
    expect(check('e2e/planted.ts', "import { openTestDb } from '@cocoon/proxy/testing';")).toEqual([]);
  });

  it('(d) fails on SQL outside a repository, naming the file and line', () => {
    const sql = (file: string, text: string) => sqlOutsideRepositories([{ path: file, text }]);
    const planted = [
      "import type { Queryable } from '../db';",
      'export async function count(q: Queryable) {',
      "  return q.query<{ n: string }>('SELECT count(*) AS n FROM jobs');",
      '}',
      'const RAW = `UPDATE rigs',
      '  SET slots = 1`;',
      "const FRAGMENT = `j.audit_state IS DISTINCT FROM 'refunded'`;",
      "await db.exec('DELETE FROM users');",
    ].join('\n');
    expect(sql('proxy/src/market/planted.ts', planted)).toEqual([
      'proxy/src/market/planted.ts:3: a .query() call outside a repository; move it into a repository function',
      "proxy/src/market/planted.ts:5: SQL text 'UPDATE rigs SET' outside a repository; move it into a repository function",
      "proxy/src/market/planted.ts:7: SQL text 'IS DISTINCT FROM' outside a repository; move it into a repository function",
      'proxy/src/market/planted.ts:8: a .exec() call outside a repository; move it into a repository function',
    ]);
    // checkBoundaries reports it too (the real-tree test above runs both checks).
    expect(checkBoundaries(workspace.packages, [{ path: 'proxy/src/x.ts', text: planted }])).toHaveLength(4);
    // Its homes: repositories, the database layer, migrations, tests and test helpers; and other packages.
    for (const home of [
      'proxy/src/market/repository.ts',
      'proxy/src/jobs/queue-repository.ts',
      'proxy/src/db/index.ts',
      'proxy/src/db/migrations/001_init.ts',
      'proxy/src/market/board.test.ts',
      'proxy/src/testing/harness.ts',
      'bot/src/planted.ts',
    ])
      expect(sql(home, planted)).toEqual([]);
    // Not SQL: comments, prose, RegExp#exec, a property named query.
    const innocent = [
      '// SELECT * FROM jobs FOR UPDATE, in a comment',
      '/* UPDATE rigs SET x = 1 */',
      "const msg = 'select a rig from the list';",
      'const m = /x/.exec(text);',
      'const q = request.query;',
    ].join('\n');
    expect(sql('proxy/src/market/planted.ts', innocent)).toEqual([]);
  });

  it('scans string literals and template holes, skipping comments', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template, on purpose
    const { literals } = scanSource("a = `x ${f(`INSERT INTO t`)} y` // 'no'\nb = \"it's\";");
    expect(literals.map((l) => [l.text, l.line])).toEqual([
      ['INSERT INTO t', 1],
      ['x   y', 1],
      ["it's", 2],
    ]);
  });
});

describe('import circles', () => {
  it('the real tree has none among product files', () => {
    expect(checkImportCircles(workspace.files)).toEqual([]);
  });

  it('names a planted circle, through a folder index and a .js suffix', () => {
    const files = [
      { path: 'proxy/src/a/one.ts', text: "import { two } from '../b';" },
      { path: 'proxy/src/b/index.ts', text: "export { two } from './two.js';" },
      { path: 'proxy/src/b/two.ts', text: "import { one } from '../a/one';\nimport { z } from 'zod';" },
      { path: 'proxy/src/c.ts', text: "import { one } from './a/one';" },
    ];
    expect(checkImportCircles(files)).toEqual([
      'import circle: proxy/src/a/one.ts → proxy/src/b/index.ts → proxy/src/b/two.ts → proxy/src/a/one.ts',
    ]);
    // Two files importing each other, beside a circle of three tangled with it: one line per tangle.
    const pair = [
      { path: 'bot/src/x.ts', text: "import { y } from './y';" },
      { path: 'bot/src/y.tsx', text: "import { x } from './x';\nimport { z } from './z';" },
      { path: 'bot/src/z.ts', text: "import { x } from './x';" },
    ];
    expect(checkImportCircles(pair)).toEqual([
      'import circle: bot/src/x.ts → bot/src/y.tsx → bot/src/x.ts (3 files tangled: bot/src/x.ts, bot/src/y.tsx, bot/src/z.ts)',
    ]);
  });

  it('leaves out type-only imports, test files and test helpers', () => {
    const typeOnly = [
      { path: 'emulator/src/server.ts', text: "import { handle } from './control';" },
      { path: 'emulator/src/control.ts', text: "import type {\n  Server,\n} from './server';" },
    ];
    expect(checkImportCircles(typeOnly)).toEqual([]);
    // The same circle with a value import is one.
    typeOnly[1].text = "import { type Server, port } from './server';";
    expect(checkImportCircles(typeOnly)).toHaveLength(1);
    const tests = [
      { path: 'proxy/src/jobs/queue.ts', text: "import { db } from '../testing/db';" },
      { path: 'proxy/src/testing/db.ts', text: "import { queue } from '../jobs/queue';" },
      { path: 'proxy/src/jobs/queue.test.ts', text: "import { queue } from './queue';" },
    ];
    expect(checkImportCircles(tests)).toEqual([]);
  });
});

describe('test helpers', () => {
  it('live in folders named testing/ in every package', () => {
    expect(checkTestHelperNames(workspace.files)).toEqual([]);
    const planted = ['miniapp/src/test/render.tsx', 'e2e/support/index.ts', 'contracts/src/testing.ts'];
    expect(checkTestHelperNames(planted.map((p) => ({ path: p, text: '' })))).toEqual(
      planted.map((p) => `${p}: test helpers live in a folder named testing/`),
    );
    expect(checkTestHelperNames([{ path: 'proxy/src/testing/harness.ts', text: '' }])).toEqual([]);
  });
});
