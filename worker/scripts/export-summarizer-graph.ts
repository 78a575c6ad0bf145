// Writes the summarizer's ranking graph to disk, for inspection (e.g. with Netron) or for other
// runtimes. The worker itself builds the same bytes in memory and never needs this file.
//   npx tsx worker/scripts/export-summarizer-graph.ts [--out worker/models/summarize-extractive.onnx]
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MODELS_DIR } from '../src/models/demo-gen/index';
import { rankGraphBytes } from '../src/models/summarizer/rank-graph';

const { values } = parseArgs({
  options: { out: { type: 'string', default: path.join(DEFAULT_MODELS_DIR, 'summarize-extractive.onnx') } },
});
const out = path.resolve(values.out ?? '');
const bytes = rankGraphBytes();
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, bytes);
console.log(`summarizer ranking graph (${bytes.byteLength} bytes) written to ${out}`);
