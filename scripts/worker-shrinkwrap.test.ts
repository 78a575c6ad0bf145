// The worker tarball's shrinkwrap, cut from the root lockfile: what CI tests is what a GPU owner installs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  type Lockfile,
  onnxRuntimeProblem,
  type PackageJson,
  type TreeEntry,
  treeDifferences,
  workerShrinkwrap,
} from '@cocoon/worker/shrinkwrap';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..');
const readJson = <T>(file: string): T => JSON.parse(readFileSync(path.join(repo, file), 'utf8')) as T;
const rootLock = readJson<Lockfile>('package-lock.json');
const workerPkg = readJson<PackageJson>('worker/package.json');
const EXACT = /^\d+\.\d+\.\d+$/;

describe('the worker shrinkwrap', () => {
  it('pins the one onnxruntime-node that @huggingface/transformers needs, declared exactly', () => {
    const deps = workerPkg.dependencies ?? {};
    expect(deps['onnxruntime-node']).toMatch(EXACT);
    expect(deps['@huggingface/transformers']).toMatch(EXACT);
    const shrinkwrap = workerShrinkwrap(rootLock, workerPkg);
    const transformers = shrinkwrap.packages['node_modules/@huggingface/transformers'];
    expect(transformers.version).toBe(deps['@huggingface/transformers']);
    expect(transformers.dependencies?.['onnxruntime-node']).toBe(deps['onnxruntime-node']);
    const runtimes = Object.keys(shrinkwrap.packages).filter((p) =>
      p.endsWith('node_modules/onnxruntime-node'),
    );
    expect(runtimes).toEqual(['node_modules/onnxruntime-node']);
    expect(shrinkwrap.packages['node_modules/onnxruntime-node'].version).toBe(deps['onnxruntime-node']);
    expect(onnxRuntimeProblem(shrinkwrap.packages)).toBeUndefined();
    expect(onnxRuntimeProblem(rootLock.packages)).toBeUndefined();
  });

  it('holds every production dependency at the lockfile version, devDependencies only marked dev', () => {
    const shrinkwrap = workerShrinkwrap(rootLock, workerPkg);
    for (const name of Object.keys(workerPkg.dependencies ?? {})) {
      const entry = shrinkwrap.packages[`node_modules/${name}`];
      expect(entry, name).toBeDefined();
      expect(entry.dev, name).toBeUndefined();
      expect(entry.version).toBe(rootLock.packages[`node_modules/${name}`].version);
    }
    expect(shrinkwrap.packages['node_modules/@cocoon/shared']).toMatchObject({ dev: true });
    expect(shrinkwrap.packages['node_modules/tsx']).toMatchObject({ dev: true });
    expect(shrinkwrap.packages['']).toMatchObject({ dependencies: workerPkg.dependencies });
  });

  it('names the drift the registry once caused: 1.31.1 on top, the 1.30.0 transformers pins nested', () => {
    const packages = structuredClone(rootLock.packages);
    packages['node_modules/@huggingface/transformers/node_modules/onnxruntime-node'] = {
      ...packages['node_modules/onnxruntime-node'],
    };
    packages['node_modules/onnxruntime-node'] = {
      ...packages['node_modules/onnxruntime-node'],
      version: '1.31.1',
    };
    const drifted = workerShrinkwrap({ ...rootLock, packages }, workerPkg);
    const problem = onnxRuntimeProblem(drifted.packages);
    expect(problem).toMatch(
      /^@huggingface\/transformers@4\.\d+\.\d+ pins onnxruntime-node 1\.30\.0, the tree has /,
    );
    expect(problem).toContain('1.31.1 at node_modules/onnxruntime-node');
    expect(problem).toContain(
      '1.30.0 at node_modules/@huggingface/transformers/node_modules/onnxruntime-node',
    );
  });

  it("moves the workspace's own node_modules to the top, refusing a copy that would shadow the root's", () => {
    const packages = structuredClone(rootLock.packages);
    const zod = packages['node_modules/zod'];
    packages['worker/node_modules/zod'] = { ...zod, version: '4.0.0' };
    const moved = workerShrinkwrap({ ...rootLock, packages }, workerPkg);
    expect(moved.packages['node_modules/zod'].version).toBe('4.0.0');
    // A package at the top that needs the root's zod would get the worker's in the moved tree: refused, named.
    packages['node_modules/pino'] = { ...packages['node_modules/pino'], dependencies: { zod: '*' } };
    expect(() => workerShrinkwrap({ ...rootLock, packages }, workerPkg)).toThrow(
      'shrinkwrap: worker/node_modules/zod and node_modules/zod would both land at node_modules/zod',
    );
  });

  it('tells an installed tree that differs from the shrinkwrap', () => {
    const shrinkwrap = workerShrinkwrap(rootLock, workerPkg);
    const installed = Object.fromEntries(
      Object.entries(shrinkwrap.packages).filter(([p, e]) => p && !e.dev && !e.optional),
    );
    expect(treeDifferences(shrinkwrap, installed)).toEqual([]);
    const ws = installed['node_modules/ws'];
    const changed: Record<string, TreeEntry> = {
      ...installed,
      'node_modules/ws': { ...ws, version: '9.9.9' },
      'node_modules/extra': ws,
    };
    delete changed['node_modules/pino'];
    expect(treeDifferences(shrinkwrap, changed)).toEqual([
      expect.stringMatching(/^node_modules\/pino: missing/),
      `node_modules/ws: 9.9.9 installed, shrinkwrap pins ${ws.version}`,
      `node_modules/extra: ${ws.version} installed, not in the shrinkwrap`,
    ]);
  });
});
