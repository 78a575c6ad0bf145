#!/usr/bin/env node
// The worker tarball's exact dependency tree: worker/npm-shrinkwrap.json, cut out of the root package-lock.json
// by following the worker's production dependencies (less the bundled @cocoon/*) the way Node resolves them.
// npm honours a published package's shrinkwrap, so a GPU owner who installs the tarball months later gets the
// versions CI tested, not whatever the registry serves that day (onnxruntime-node 1.31 next to the 1.30 that
// @huggingface/transformers pins once crashed `cocoon-worker --help`). npm has no command that extracts one
// workspace's part of a lockfile, hence this script. `npm pack` runs it (prepack); postpack removes the file.
//   node worker/scripts/shrinkwrap.mjs          writes worker/npm-shrinkwrap.json
//   node worker/scripts/shrinkwrap.mjs --clean  removes it
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKSPACE = 'worker';
const BUNDLED = (name) => name.startsWith('@cocoon/');
/** Fields of a lockfile entry that describe the package itself (flags such as dev/peer are recomputed). */
const KEPT = [
  'version',
  'resolved',
  'integrity',
  'license',
  'dependencies',
  'optionalDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'bin',
  'engines',
  'os',
  'cpu',
  'libc',
  'hasInstallScript',
];

/** Where Node finds `name` when required from the package at `from` ('' is the root, 'worker' the workspace). */
export function resolveIn(packages, from, name) {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut === -1 ? '' : dir.slice(0, cut);
  }
}

/** The dependency edges of a lockfile entry: [name, optional]. Optional peers are followed only when present. */
function edgesOf(entry) {
  const edges = [];
  for (const name of Object.keys(entry.dependencies ?? {})) edges.push([name, false]);
  for (const name of Object.keys(entry.optionalDependencies ?? {})) edges.push([name, true]);
  for (const name of Object.keys(entry.peerDependencies ?? {}))
    edges.push([name, entry.peerDependenciesMeta?.[name]?.optional === true]);
  return edges.filter(([name]) => !BUNDLED(name));
}

/** The shrinkwrap path of a root-lockfile path: the workspace's own node_modules becomes the top. */
const relocate = (p) => (p.startsWith(`${WORKSPACE}/node_modules/`) ? p.slice(WORKSPACE.length + 1) : p);

/** Walks the lockfile from `from`'s edges; returns lockfile path → how it is reached ('required' | 'optional'). */
function reachable(packages, from, entry, reach = new Map()) {
  const queue = [[from, entry, false]];
  while (queue.length) {
    const [at, node, optional] = queue.shift();
    for (const [name, edgeOptional] of edgesOf(node)) {
      const dep = resolveIn(packages, at, name);
      if (!dep) {
        if (edgeOptional) continue;
        throw new Error(`shrinkwrap: ${name} (needed by ${at}) is not in package-lock.json: run npm install`);
      }
      const how = optional || edgeOptional ? 'optional' : 'required';
      const seen = reach.get(dep);
      if (seen === 'required' || seen === how) continue;
      reach.set(dep, how);
      queue.push([dep, packages[dep], how === 'optional']);
    }
  }
  return reach;
}

/** A lockfile entry as it goes into the shrinkwrap. */
function entryOf(lockEntry, flags) {
  const entry = Object.fromEntries(KEPT.filter((k) => k in lockEntry).map((k) => [k, lockEntry[k]]));
  return { ...entry, ...flags };
}

/**
 * Builds the shrinkwrap object from the root lockfile and the worker's package.json. Throws, naming the
 * package, when a dependency is missing from the lockfile or when two packages would land at one path (the
 * workspace's own node_modules moves to the top, so a copy there must not shadow one of the root's). The worker's devDependencies are listed too,
 * marked dev (the bundled @cocoon/* by version only): `npm ci --omit=dev` refuses a lockfile that lacks
 * them, and never installs them.
 */
export function workerShrinkwrap(rootLock, workerPkg) {
  const packages = rootLock.packages;
  const prod = reachable(packages, WORKSPACE, { dependencies: workerPkg.dependencies ?? {} });
  const devOnly = { ...workerPkg.devDependencies };
  for (const name of Object.keys(devOnly)) if (BUNDLED(name)) delete devOnly[name];
  const dev = reachable(packages, WORKSPACE, { dependencies: devOnly });

  const out = {};
  const source = new Map();
  const place = (at, flags) => {
    const target = relocate(at);
    if (source.has(target) && source.get(target) !== at)
      throw new Error(`shrinkwrap: ${source.get(target)} and ${at} would both land at ${target}`);
    source.set(target, at);
    out[target] = entryOf(packages[at], flags);
  };
  for (const [at, how] of prod) place(at, how === 'optional' ? { optional: true } : {});
  for (const [at, how] of dev)
    if (!prod.has(at)) place(at, how === 'optional' ? { dev: true, optional: true } : { dev: true });
  for (const name of Object.keys(workerPkg.devDependencies ?? {}).filter(BUNDLED)) {
    const at = resolveIn(packages, WORKSPACE, name);
    const version = at && packages[packages[at].resolved ?? at]?.version;
    if (!version) throw new Error(`shrinkwrap: ${name} is not in package-lock.json: run npm install`);
    out[`node_modules/${name}`] = { version, dev: true };
  }
  const top = { name: workerPkg.name, version: workerPkg.version };
  for (const k of ['dependencies', 'devDependencies', 'bin', 'engines'])
    if (workerPkg[k]) top[k] = workerPkg[k];
  const sorted = Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    name: workerPkg.name,
    version: workerPkg.version,
    lockfileVersion: 3,
    requires: true,
    packages: { '': top, ...sorted },
  };
}

/**
 * Why onnxruntime-node can't load, or undefined: the tree must hold exactly one copy, at the version that
 * @huggingface/transformers pins (two copies load two native libraries into one process, and the second
 * fails with "version `VERS_1.30.0' not found"). `packages` maps install paths to { version, dependencies }:
 * a lockfile's or shrinkwrap's `packages`, or what installedTree() read from disk.
 */
export function onnxRuntimeProblem(packages) {
  const at = (name) =>
    Object.entries(packages).filter(
      ([p]) => p === `node_modules/${name}` || p.endsWith(`/node_modules/${name}`),
    );
  const runtimes = at('onnxruntime-node');
  const [transformers] = at('@huggingface/transformers');
  if (!transformers) return '@huggingface/transformers is not in the tree';
  const wanted = transformers[1].dependencies?.['onnxruntime-node'];
  const found = runtimes.map(([p, e]) => `${e.version} at ${p}`).join(', ') || 'none';
  if (runtimes.length !== 1 || runtimes[0][1].version !== wanted)
    return `@huggingface/transformers@${transformers[1].version} pins onnxruntime-node ${wanted}, the tree has ${found}: declare onnxruntime-node ${wanted} exactly in worker/package.json`;
  return undefined;
}

/** What is installed under dir/node_modules, by path: { version, dependencies } from each package.json. */
export function installedTree(dir, prefix = '', out = {}) {
  const modules = path.join(dir, 'node_modules');
  if (!existsSync(modules)) return out;
  const names = readdirSync(modules)
    .filter((n) => !n.startsWith('.'))
    .flatMap((n) => (n.startsWith('@') ? readdirSync(path.join(modules, n)).map((s) => `${n}/${s}`) : [n]));
  for (const name of names) {
    const pkgDir = path.join(modules, name);
    const manifest = path.join(pkgDir, 'package.json');
    if (!existsSync(manifest)) continue;
    const { version, dependencies } = JSON.parse(readFileSync(manifest, 'utf8'));
    const at = `${prefix}node_modules/${name}`;
    out[at] = { version, dependencies };
    installedTree(pkgDir, `${at}/`, out);
  }
  return out;
}

/**
 * How an installed tree differs from the shrinkwrap (empty when it is the same): a package at another version
 * or place, a required one missing, one the shrinkwrap doesn't list. Optional packages for other platforms
 * and dev ones are allowed to be absent.
 */
export function treeDifferences(shrinkwrap, installed) {
  const wanted = shrinkwrap.packages;
  const problems = [];
  for (const [at, entry] of Object.entries(wanted)) {
    if (!at || entry.dev) continue;
    const got = installed[at];
    if (!got) {
      if (!entry.optional) problems.push(`${at}: missing (shrinkwrap: ${entry.version})`);
    } else if (got.version !== entry.version)
      problems.push(`${at}: ${got.version} installed, shrinkwrap pins ${entry.version}`);
  }
  for (const [at, got] of Object.entries(installed))
    if (!wanted[at] || wanted[at].dev)
      problems.push(`${at}: ${got.version} installed, not in the shrinkwrap`);
  return problems;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const workerDir = path.resolve(here, '..');
const target = path.join(workerDir, 'npm-shrinkwrap.json');

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--clean')) rmSync(target, { force: true });
  else {
    const rootLock = JSON.parse(readFileSync(path.join(workerDir, '..', 'package-lock.json'), 'utf8'));
    const workerPkg = JSON.parse(readFileSync(path.join(workerDir, 'package.json'), 'utf8'));
    const shrinkwrap = workerShrinkwrap(rootLock, workerPkg);
    const problem = onnxRuntimeProblem(shrinkwrap.packages);
    if (problem) {
      console.error(`worker shrinkwrap: ${problem}`);
      process.exit(1);
    }
    writeFileSync(target, `${JSON.stringify(shrinkwrap, null, 2)}\n`);
    console.log(
      `worker shrinkwrap: ${Object.keys(shrinkwrap.packages).length - 1} packages pinned in npm-shrinkwrap.json`,
    );
  }
}
