// Model identity: a model's digest is sha256 over a canonical listing of what makes it up, one line per
// part, sorted: `file <relative path> <size> <sha256>` for every file of its folder (weights, tokenizer,
// configs), `npm <package> <version>` for a library its results depend on. Two rigs with the same digest
// run the same bytes; the proxy's catalogue pins each model name to one digest.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { rankGraphBytes } from './summarizer/rank-graph';

export type DigestPart =
  | { kind: 'file'; path: string; size: number; sha256: string }
  | { kind: 'npm'; name: string; version: string }
  | { kind: 'code'; name: string; version: number };

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The canonical listing: one line per part, sorted by code unit, each ending in a newline. */
export function canonicalListing(parts: readonly DigestPart[]): string {
  const lines = parts.map((p) =>
    p.kind === 'file'
      ? `file ${p.path} ${p.size} ${p.sha256}`
      : p.kind === 'npm'
        ? `npm ${p.name} ${p.version}`
        : `code ${p.name} ${p.version}`,
  );
  for (const l of lines) if (/[\n\r]/.test(l)) throw new Error(`a digest part has a line break: ${l}`);
  lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return lines.map((l) => `${l}\n`).join('');
}

export function digestOf(parts: readonly DigestPart[]): string {
  return sha256Hex(canonicalListing(parts));
}

/** Per-file hashes kept between starts, keyed by absolute path and checked against size and mtime. */
export interface DigestCache {
  get(file: string, size: number, mtimeMs: number): string | undefined;
  set(file: string, size: number, mtimeMs: number, sha256: string): void;
}

type CacheRecord = Record<string, { size: number; mtimeMs: number; sha256: string }>;

/** A DigestCache in a JSON file (the worker keeps it in its config dir); a bad or missing file is empty. */
export function fileDigestCache(file: string): DigestCache & { save(): void } {
  let records: CacheRecord = {};
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) records = parsed as CacheRecord;
  } catch {
    // No cache yet.
  }
  let dirty = false;
  return {
    get(f, size, mtimeMs) {
      const r = records[f];
      return r && r.size === size && r.mtimeMs === mtimeMs && /^[0-9a-f]{64}$/.test(r.sha256)
        ? r.sha256
        : undefined;
    },
    set(f, size, mtimeMs, sha256) {
      records[f] = { size, mtimeMs, sha256 };
      dirty = true;
    },
    save() {
      if (!dirty) return;
      writeFileSync(file, `${JSON.stringify(records, null, 1)}\n`, { mode: 0o600 });
      dirty = false;
    },
  };
}

function listFiles(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true })) {
    // Hidden files (.DS_Store, .cache/, a .git folder) are not part of the model.
    if (entry.name.startsWith('.')) continue;
    const relPath = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(root, relPath));
    else if (entry.isFile()) out.push(relPath);
  }
  return out;
}

/** Every file of a model folder (that `include` keeps), with its size and sha256 (cached by size and mtime). */
export function folderParts(
  dir: string,
  cache?: DigestCache,
  include: (relPath: string) => boolean = () => true,
): DigestPart[] {
  const root = path.resolve(dir);
  return listFiles(root)
    .filter(include)
    .map((rel) => {
      const abs = path.join(root, rel);
      const st = statSync(abs);
      let sha256 = cache?.get(abs, st.size, st.mtimeMs);
      if (!sha256) {
        sha256 = sha256Hex(readFileSync(abs));
        cache?.set(abs, st.size, st.mtimeMs, sha256);
      }
      return { kind: 'file' as const, path: rel, size: st.size, sha256 };
    });
}

/** The digest of a model folder (a Hugging Face ONNX folder, the demo model), or of the files `include` keeps. */
export function folderDigest(
  dir: string,
  cache?: DigestCache,
  include?: (relPath: string) => boolean,
): string {
  return digestOf(folderParts(dir, cache, include));
}

/**
 * The files a folder serves with one ONNX file: all but the other ONNX files (and their data) under onnx/.
 * An export with fp32 and q8 files has one digest per dtype, so a catalogue pins which one rigs must serve
 * (an fp32 auditor can't fairly score a q8 rig); a folder with one ONNX file keeps its whole-folder digest.
 */
export function servedFiles(otherOnnxFiles: readonly string[]): (relPath: string) => boolean {
  return (rel) => !otherOnnxFiles.some((f) => rel === `onnx/${f}` || rel.startsWith(`onnx/${f}_data`));
}

/** The text-preparation libraries whose exact versions are part of the summarizer (pinned in package.json). */
export const SUMMARIZER_LIBRARIES = ['wink-nlp', 'wink-eng-lite-web-model'] as const;

function installedVersion(name: string): string {
  const require = createRequire(import.meta.url);
  let dir = path.dirname(require.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === name && pkg.version) return pkg.version;
    } catch {
      // Not here: look one folder up.
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the installed version of ${name}`);
    dir = up;
  }
}

/**
 * Bump when the summarizer's own code changes what it selects (text preparation, priors, quantization, tie
 * rules): rigs on different versions must not share a digest, since audits compare summaries exactly.
 */
export const SUMMARIZER_CODE_VERSION = 3;

/** The summarizer's parts: its ranking graph's bytes (built by our code) and its libraries' versions. */
export function summarizerParts(graph: Uint8Array = rankGraphBytes()): DigestPart[] {
  return [
    { kind: 'file', path: 'onnx/rank.onnx', size: graph.byteLength, sha256: sha256Hex(graph) },
    { kind: 'code', name: 'summarize-extractive', version: SUMMARIZER_CODE_VERSION },
    ...SUMMARIZER_LIBRARIES.map((name) => ({ kind: 'npm' as const, name, version: installedVersion(name) })),
  ];
}

export function summarizerDigest(): string {
  return digestOf(summarizerParts());
}
