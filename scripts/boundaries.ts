// Package boundaries, checked over the source text (no build needed). A workspace package may import another
// only by name (`@cocoon/x`), only if its package.json declares it, and only through an entry point the other
// package exports ("." and, for tests, "./testing"). The root package (scripts/, vite.config.ts) follows
// the same rules. And the proxy's SQL lives in repositories: a statement anywhere else in proxy/src is a
// violation (sqlOutsideRepositories). scripts/boundaries.test.ts runs this over the real tree.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface PackageInfo {
  /** Its package.json name, e.g. @cocoon/proxy. */
  name: string;
  /** Its folder relative to the repository root, with forward slashes; '' for the root package. */
  dir: string;
  /** Every package it declares in dependencies, devDependencies, peerDependencies or optionalDependencies. */
  declared: string[];
  /** The subpaths its `exports` field lists ('.', './testing'); an empty list when it has none. */
  exports: string[];
}

export interface SourceFile {
  /** Relative to the repository root, with forward slashes. */
  path: string;
  text: string;
}

const SCOPE = '@cocoon/';
const CODE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'models', 'artifacts']);

/**
 * Every module specifier in `text`: static imports and re-exports, side-effect imports, import(), require()
 * and vi.mock(). Comment lines are skipped.
 */
export function importSpecifiers(text: string): string[] {
  const code = text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('//'))
    .join('\n');
  const specs: string[] = [];
  const lead = [
    String.raw`\bfrom\s*`,
    String.raw`\bimport\s*\(\s*`,
    String.raw`^\s*import\s+`,
    String.raw`\brequire\s*\(\s*`,
    String.raw`\bvi\.(?:mock|doMock|importActual)\s*(?:<[^>]*>)?\s*\(\s*`,
  ].join('|');
  const re = new RegExp(`(?:${lead})(['"\`])([^'"\`\n]+)\\1`, 'gm');
  for (const m of code.matchAll(re)) specs.push(m[2]);
  return specs;
}

/** The package that owns `file`: the workspace whose folder holds it (the deepest), else the root package. */
function ownerOf(file: string, packages: PackageInfo[]): PackageInfo | undefined {
  let best: PackageInfo | undefined;
  for (const p of packages) {
    const inside = p.dir === '' || file === p.dir || file.startsWith(`${p.dir}/`);
    if (inside && (!best || p.dir.length > best.dir.length)) best = p;
  }
  return best;
}

function exportMatches(keys: string[], subpath: string): boolean {
  return keys.some((k) => {
    if (k === subpath) return true;
    const star = k.indexOf('*');
    return star >= 0 && subpath.startsWith(k.slice(0, star)) && subpath.endsWith(k.slice(star + 1));
  });
}

/** Every boundary violation in `files`, one line each ("path: what is wrong"); empty when there is none. */
export function checkBoundaries(packages: PackageInfo[], files: SourceFile[]): string[] {
  const byName = new Map(packages.map((p) => [p.name, p]));
  const problems: string[] = sqlOutsideRepositories(files);
  for (const file of files) {
    const owner = ownerOf(file.path, packages);
    if (!owner) continue;
    for (const spec of importSpecifiers(file.text)) {
      if (spec.startsWith('.')) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file.path), spec));
        const targetOwner = target.startsWith('../') ? undefined : ownerOf(target, packages);
        if (targetOwner !== owner) {
          const where = targetOwner
            ? `${targetOwner.name}'s files; import '${targetOwner.name}' instead`
            : 'outside';
          problems.push(`${file.path}: '${spec}' leaves ${owner.name} for ${where}`);
        }
        continue;
      }
      if (!spec.startsWith(SCOPE)) continue;
      const [scope, base, ...rest] = spec.split('/');
      const name = `${scope}/${base}`;
      const subpath = rest.length ? `./${rest.join('/')}` : '.';
      const target = byName.get(name);
      if (!target) {
        problems.push(`${file.path}: '${spec}' names no workspace package`);
        continue;
      }
      if (target === owner)
        problems.push(`${file.path}: '${spec}' imports its own package by name; use a relative import`);
      else if (!owner.declared.includes(name))
        problems.push(`${file.path}: '${spec}' is not declared in ${owner.name}'s package.json dependencies`);
      if (!exportMatches(target.exports, subpath)) {
        const listed = target.exports.map((e) => `'${e}'`).join(', ') || 'nothing';
        problems.push(`${file.path}: '${spec}' is not an entry point ${name} exports (it exports ${listed})`);
      }
    }
  }
  return problems;
}

// Where the proxy's SQL may be written: repositories (`repository.ts`, `<aggregate>-repository.ts`), the
// database layer and its migrations, tests and test helpers. Everything else calls repository functions.
const SQL_SCOPE = 'proxy/src/';
const SQL_HOMES = [/(^|\/|-)repository\.ts$/, /^proxy\/src\/db\//, /^proxy\/src\/testing\//, /\.test\.tsx?$/];
/** A string that reads as SQL: a statement's head, or the clauses that only a fragment of one would hold. */
const SQL_TEXT =
  /\b(SELECT\b[\s\S]*\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|ON\s+CONFLICT|FOR\s+UPDATE|RETURNING|IS\s+(NOT\s+)?NULL|IS\s+DISTINCT\s+FROM|coalesce\s*\(|LISTEN|NOTIFY)\b/;
/** A call that runs a statement: `.query(`, `.query<T>(`, or `.exec(` given a literal (not RegExp#exec). */
const SQL_CALL = /\.query\s*(<[^>(]*>)?\s*\(|\.exec\s*\(\s*[`'"]/g;

/**
 * The string literals of `code` (quotes and templates, template holes scanned for nested ones) and its code
 * with comments and string contents blanked, so that a call or a keyword is found only where it is code.
 */
export function scanSource(code: string): { literals: { text: string; line: number }[]; bare: string } {
  const literals: { text: string; line: number }[] = [];
  let bare = '';
  let line = 1;
  const stack: { text: string; line: number; depth: number }[] = []; // open templates
  let braces = 0; // inside a template hole: the hole's own brace depth
  let i = 0;
  const keep = (c: string) => {
    bare += c === '\n' ? '\n' : ' ';
    if (c === '\n') line++;
  };
  while (i < code.length) {
    const c = code[i];
    const top = stack[stack.length - 1];
    if (top && top.depth === -1) {
      // inside a template's text
      if (c === '\\') {
        top.text += code.slice(i, i + 2);
        keep(c);
        keep(code[i + 1] ?? '');
        i += 2;
      } else if (c === '`') {
        literals.push({ text: top.text, line: top.line });
        stack.pop();
        keep(c);
        i++;
      } else if (c === '$' && code[i + 1] === '{') {
        top.depth = braces;
        top.text += ' ';
        braces++;
        keep(c);
        keep('{');
        i += 2;
      } else {
        top.text += c;
        keep(c);
        i++;
      }
      continue;
    }
    if (c === '/' && code[i + 1] === '/') {
      while (i < code.length && code[i] !== '\n') keep(code[i++]);
    } else if (c === '/' && code[i + 1] === '*') {
      const end = code.indexOf('*/', i + 2);
      const stop = end < 0 ? code.length : end + 2;
      while (i < stop) keep(code[i++]);
    } else if (c === "'" || c === '"') {
      const start = line;
      let text = '';
      bare += c; // the quote stays, so that `.exec('…')` reads as a call given a literal
      i++;
      while (i < code.length && code[i] !== c && code[i] !== '\n') {
        if (code[i] === '\\') {
          text += code[i];
          keep(code[i++]);
        }
        text += code[i];
        keep(code[i++]);
      }
      keep(code[i] ?? '');
      i++;
      literals.push({ text, line: start });
    } else if (c === '`') {
      stack.push({ text: '', line, depth: -1 });
      bare += c;
      i++;
    } else {
      if (c === '{') braces++;
      else if (c === '}') {
        braces--;
        if (top && top.depth === braces) {
          top.depth = -1; // back in the template's text
          keep(c);
          i++;
          continue;
        }
      }
      bare += c;
      if (c === '\n') line++;
      i++;
    }
  }
  return { literals, bare };
}

/** Every statement or fragment of SQL in proxy/src outside its homes, as "path:line: what"; empty when none. */
export function sqlOutsideRepositories(files: SourceFile[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    if (!file.path.startsWith(SQL_SCOPE) || SQL_HOMES.some((home) => home.test(file.path))) continue;
    const { literals, bare } = scanSource(file.text);
    const found = new Map<number, string>(); // line → what, the first finding on each line
    for (const m of bare.matchAll(SQL_CALL)) {
      const line = bare.slice(0, m.index).split('\n').length;
      if (!found.has(line)) found.set(line, `a ${m[0].startsWith('.exec') ? '.exec' : '.query'}() call`);
    }
    for (const lit of literals) {
      const m = SQL_TEXT.exec(lit.text);
      const words = m?.[0].split(/\s+/) ?? [];
      const what = words.length > 3 ? `${words[0]} … ${words[words.length - 1]}` : words.join(' ');
      if (m && !found.has(lit.line)) found.set(lit.line, `SQL text '${what}'`);
    }
    for (const [line, what] of [...found].sort((a, b) => a[0] - b[0]))
      problems.push(`${file.path}:${line}: ${what} outside a repository; move it into a repository function`);
  }
  return problems;
}

function readPackage(root: string, dir: string): PackageInfo {
  const json = JSON.parse(readFileSync(path.join(root, dir, 'package.json'), 'utf8'));
  const declared = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'].flatMap(
    (k) => Object.keys(json[k] ?? {}),
  );
  const exp = json.exports;
  const exports =
    exp === undefined
      ? []
      : typeof exp === 'string' || Array.isArray(exp) || !Object.keys(exp).some((k) => k.startsWith('.'))
        ? ['.']
        : Object.keys(exp);
  return { name: json.name, dir, declared, exports };
}

function walk(root: string, dir: string, out: string[]): void {
  for (const name of readdirSync(path.join(root, dir))) {
    if (name.startsWith('.') || SKIP_DIRS.has(name)) continue;
    const rel = dir ? `${dir}/${name}` : name;
    if (statSync(path.join(root, rel)).isDirectory()) walk(root, rel, out);
    else if (CODE.test(name)) out.push(rel);
  }
}

/** The root package and every workspace in `root`/package.json, and their source files. */
export function loadWorkspace(root: string): { packages: PackageInfo[]; files: SourceFile[] } {
  const rootJson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const dirs: string[] = (rootJson.workspaces ?? []).map((d: string) => d.replace(/\/$/, ''));
  const packages = [readPackage(root, ''), ...dirs.map((d) => readPackage(root, d))];
  const paths: string[] = [];
  for (const d of dirs) walk(root, d, paths);
  // The root package's own code: scripts/ and the config files beside package.json.
  if (existsSync(path.join(root, 'scripts'))) walk(root, 'scripts', paths);
  for (const name of readdirSync(root))
    if (CODE.test(name) && statSync(path.join(root, name)).isFile()) paths.push(name);
  const files = paths.map((p) => ({ path: p, text: readFileSync(path.join(root, p), 'utf8') }));
  return { packages, files };
}

// Import circles. A circle between product files means neither can be read, tested or moved without the
// other; the layering is "lower modules never import higher ones". Relative imports of .ts/.tsx files are
// resolved (with the .js suffix ESM style allows, and folder index files) and every strongly connected set
// of files is reported with one circle through it. Type-only statements (`import type`, `export type`) are
// left out: they are erased when compiled, so they fix no load order (a class and the plugin that drives
// it may name each other's types). Test files and test helpers are left out too: they may import what
// they like.

const TS_FILE = /\.tsx?$/;
/** Tests, and test helpers: one name for them in every package, a folder called testing/. */
const TEST_FILE = /\.(test|spec)\.tsx?$|(^|\/)testing\//;

/** Names test helpers once had besides testing/; a file under one of them is reported. */
const OTHER_HELPER_NAMES = /(^|\/)(test|tests|support|fixtures|__tests__)\/|(^|\/)testing\.tsx?$/;

/** Every source file whose test helpers go by another name than a testing/ folder, one line each. */
export function checkTestHelperNames(files: SourceFile[]): string[] {
  return files
    .filter((f) => OTHER_HELPER_NAMES.test(f.path))
    .map((f) => `${f.path}: test helpers live in a folder named testing/`);
}

/** True for source files that ship: not a test, not a test helper. */
export function isProductFile(file: string): boolean {
  return TS_FILE.test(file) && !TEST_FILE.test(file);
}

/** The file a relative specifier names among `known`, or undefined (a package, an asset, a missing file). */
function resolveRelative(from: string, spec: string, known: Set<string>): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  const stem = base.replace(/\.(js|jsx|ts|tsx|mjs)$/, '');
  for (const c of [base, `${stem}.ts`, `${stem}.tsx`, `${stem}/index.ts`, `${stem}/index.tsx`])
    if (known.has(c)) return c;
  return undefined;
}

const TYPE_ONLY = /^\s*(?:import|export)\s+type\s[\s\S]*?\bfrom\s*(['"])[^'"\n]+\1\s*;?/gm;

/** The specifiers of `text`'s imports that load code: importSpecifiers without type-only statements. */
export function valueImportSpecifiers(text: string): string[] {
  return importSpecifiers(text.replace(TYPE_ONLY, ''));
}

/** The import graph of the product files: each file and the product files it imports, in import order. */
export function importGraph(files: SourceFile[]): Map<string, string[]> {
  const product = files.filter((f) => isProductFile(f.path));
  const known = new Set(product.map((f) => f.path));
  const graph = new Map<string, string[]>();
  for (const f of product) {
    const edges = valueImportSpecifiers(f.text)
      .map((s) => resolveRelative(f.path, s, known))
      .filter((t): t is string => t !== undefined);
    graph.set(f.path, [...new Set(edges)]);
  }
  return graph;
}

/** Tarjan's strongly connected components with more than one file (or a file importing itself). */
function tangles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

/** The shortest circle from `start` back to itself through files of `within` (breadth first). */
function circleThrough(graph: Map<string, string[]>, start: string, within: Set<string>): string[] {
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift() as string;
    for (const w of graph.get(v) ?? []) {
      if (!within.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(prev.get(path[0]) as string);
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** Every import circle among the product files, one line each ("import circle: a → b → a"). */
export function checkImportCircles(files: SourceFile[]): string[] {
  const graph = importGraph(files);
  return tangles(graph).map((scc) => {
    const circle = circleThrough(graph, scc[0], new Set(scc));
    const more = scc.length > circle.length - 1 ? ` (${scc.length} files tangled: ${scc.join(', ')})` : '';
    return `import circle: ${circle.join(' → ')}${more}`;
  });
}
