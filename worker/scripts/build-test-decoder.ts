// Builds (or finds in the cache) a random-weight test decoder and prints its folder.
//   npx tsx worker/scripts/build-test-decoder.ts [--preset qwen2.5-0.5b|tiny-qwen2|tiny-llama] [--out DIR]
// Without --out it is cached under COCOON_TEST_MODELS_DIR (default: the OS temp folder) by spec digest.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  ensureTestDecoder,
  QWEN2_5_0_5B_SHAPE,
  type TestDecoderSpec,
  TINY_LLAMA,
  TINY_QWEN2,
  writeTestDecoder,
} from '../src/models/causal-lm/test-decoder/index';

const PRESETS: Record<string, TestDecoderSpec> = {
  'qwen2.5-0.5b': QWEN2_5_0_5B_SHAPE,
  'tiny-qwen2': TINY_QWEN2,
  'tiny-llama': TINY_LLAMA,
};
const { values } = parseArgs({
  options: { preset: { type: 'string', default: 'qwen2.5-0.5b' }, out: { type: 'string' } },
});
const spec = PRESETS[values.preset ?? ''];
if (!spec) throw new Error(`unknown preset ${values.preset}: use ${Object.keys(PRESETS).join(', ')}`);
const started = performance.now();
const dir = values.out ? (await writeTestDecoder(values.out, spec)).dir : await ensureTestDecoder(spec);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
const sizes = readdirSync(path.join(dir, 'onnx')).map(
  (f) => `${f} ${(statSync(path.join(dir, 'onnx', f)).size / 1e6).toFixed(1)} MB`,
);
console.log(`${dir} (${seconds}s)\n  ${sizes.join('\n  ')}`);
