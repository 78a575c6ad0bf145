import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemoModel } from './demo-gen/index';
import { canonicalListing, fileDigestCache, folderDigest, summarizerDigest, summarizerParts } from './digest';

// The smallest build the demo model has (as in demo-gen.test.ts); the full build hashes the same way.
const SMALL = { maxFiles: 12, vocabSize: 3000, maxContexts: 8000 };
let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cocoon-digest-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('model digests', () => {
  it('two fresh builds of the demo model share a digest; a changed byte in any file changes it', async () => {
    const a = path.join(root, 'a');
    const b = path.join(root, 'b');
    await buildDemoModel(a, SMALL);
    await buildDemoModel(b, SMALL);
    const digest = folderDigest(a);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(folderDigest(b)).toBe(digest);

    for (const f of ['onnx/model.onnx', 'tokenizer.json', 'config.json']) {
      const file = path.join(b, f);
      const bytes = await readFile(file);
      const changed = Buffer.from(bytes);
      changed[changed.length >> 1] ^= 1;
      await writeFile(file, changed);
      expect(folderDigest(b), f).not.toBe(digest);
      await writeFile(file, bytes);
      expect(folderDigest(b)).toBe(digest);
    }
    // A file added to the folder is part of the model too; hidden files are not.
    await writeFile(path.join(b, 'extra.txt'), 'x');
    expect(folderDigest(b)).not.toBe(digest);
    await rm(path.join(b, 'extra.txt'));
    await writeFile(path.join(b, '.DS_Store'), 'x');
    expect(folderDigest(b)).toBe(digest);
  });

  it('caches file hashes by size and mtime, and rehashes a file that changed', async () => {
    const dir = path.join(root, 'cached');
    await buildDemoModel(dir, SMALL);
    const cacheFile = path.join(root, 'digests.json');
    const cache = fileDigestCache(cacheFile);
    const digest = folderDigest(dir, cache);
    cache.save();
    const reloaded = fileDigestCache(cacheFile);
    expect(folderDigest(dir, reloaded)).toBe(digest);
    const file = path.join(dir, 'config.json');
    await writeFile(file, `${await readFile(file, 'utf8')} `);
    expect(folderDigest(dir, reloaded)).not.toBe(digest);
  });

  it("covers the summarizer's graph bytes and its libraries' exact versions", () => {
    const listing = canonicalListing(summarizerParts());
    expect(listing).toMatch(/^file onnx\/rank\.onnx \d+ [0-9a-f]{64}\n/m);
    expect(listing).toMatch(/^npm wink-nlp \d+\.\d+\.\d+\n/m);
    expect(listing).toMatch(/^npm wink-eng-lite-web-model \d+\.\d+\.\d+\n/m);
    expect(summarizerDigest()).toBe(summarizerDigest());
    const graph = summarizerParts()[0];
    const changed = new Uint8Array(graph.kind === 'file' ? graph.size : 0).fill(1);
    expect(canonicalListing(summarizerParts(changed))).not.toBe(listing);
  });
});
