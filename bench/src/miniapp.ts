// Mini App size bench: builds the app with the root vite.config.ts and reports the gzipped bytes of the JS
// that index.html loads up front (entry script + modulepreloads) and of the largest lazy chunk, and the size of
// the TDX verifier's chunk (@phala/dcap-qvl, loaded only when a confidential job runs).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { BenchResult } from './result';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The JS files index.html loads before any lazy import: module scripts and modulepreload links. */
export function initialScripts(indexHtml: string): string[] {
  const srcs = new Set<string>();
  for (const m of indexHtml.matchAll(/<script\b[^>]*\bsrc="([^"]+\.js)"[^>]*>/g)) srcs.add(m[1]);
  for (const m of indexHtml.matchAll(/<link\b[^>]*\brel="modulepreload"[^>]*>/g)) {
    const href = /\bhref="([^"]+)"/.exec(m[0]);
    if (href) srcs.add(href[1]);
  }
  return [...srcs];
}

const gzipBytes = (buf: Buffer) => gzipSync(buf, { level: 9 }).length;

/** A string only @phala/dcap-qvl's verifier has: the chunk that holds it is the TDX verifier's. */
export const DCAP_VERIFIER_MARKER = 'Unsupported DCAP';

/** The JS chunks of a build that contain the TDX verifier (one, in a good build), with raw and gzipped bytes. */
export async function verifierChunks(
  outDir: string,
): Promise<Array<{ name: string; bytes: number; gz: number }>> {
  const assets = path.join(outDir, 'assets');
  const found = [];
  for (const name of (await readdir(assets)).sort()) {
    if (!name.endsWith('.js')) continue;
    const buf = await readFile(path.join(assets, name));
    if (buf.includes(DCAP_VERIFIER_MARKER)) found.push({ name, bytes: buf.length, gz: gzipBytes(buf) });
  }
  return found;
}

/** Measures an existing build folder. */
export async function measureDist(outDir: string): Promise<BenchResult[]> {
  const html = await readFile(path.join(outDir, 'index.html'), 'utf8');
  const initial = initialScripts(html).map((src) => path.join(outDir, src.replace(/^\//, '')));
  let initialGz = 0;
  for (const file of initial) initialGz += gzipBytes(await readFile(file));
  const assets = path.join(outDir, 'assets');
  const initialSet = new Set(initial.map((f) => path.resolve(f)));
  let largest = { name: '', gz: 0 };
  let lazyTotal = 0;
  for (const name of await readdir(assets)) {
    const file = path.resolve(assets, name);
    if (!name.endsWith('.js') || initialSet.has(file)) continue;
    const gz = gzipBytes(await readFile(file));
    lazyTotal += gz;
    if (gz > largest.gz) largest = { name, gz };
  }
  return [
    {
      name: 'miniapp_initial_js_gzip',
      value: initialGz,
      unit: 'bytes',
      note: `${initial.length} file(s) loaded by index.html; budget 112640 (110 KiB)`,
    },
    { name: 'miniapp_largest_lazy_chunk_gzip', value: largest.gz, unit: 'bytes', note: largest.name },
    { name: 'miniapp_lazy_js_total_gzip', value: lazyTotal, unit: 'bytes' },
    ...verifierFigures(await verifierChunks(outDir)),
  ];
}

function verifierFigures(chunks: Array<{ name: string; bytes: number; gz: number }>): BenchResult[] {
  const note = chunks.map((c) => c.name).join(', ') || 'no chunk holds the verifier';
  return [
    { name: 'miniapp_verifier_chunk_js', value: sum(chunks, 'bytes'), unit: 'bytes', note },
    { name: 'miniapp_verifier_chunk_gzip', value: sum(chunks, 'gz'), unit: 'bytes', note },
  ];
}

const sum = <T>(xs: T[], k: keyof T) => xs.reduce((n, x) => n + Number(x[k]), 0);

/** Builds the Mini App (production mode, into dist/ as `npm run build` does) and measures it. */
export async function benchMiniappSize(): Promise<BenchResult[]> {
  const { build } = await import('vite');
  const started = performance.now();
  await build({ configFile: path.join(ROOT, 'vite.config.ts'), logLevel: 'warn', mode: 'production' });
  const buildMs = Math.round(performance.now() - started);
  const results = await measureDist(path.join(ROOT, 'dist'));
  return [...results, { name: 'miniapp_build_time', value: buildMs, unit: 'ms' }];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const r of await benchMiniappSize())
    console.log(`${r.name}\t${r.value} ${r.unit}${r.note ? `\t${r.note}` : ''}`);
}
