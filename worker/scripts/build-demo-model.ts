// Builds the demo generator (worker/models/demo-gen) from the Brown corpus.
//   npx tsx worker/scripts/build-demo-model.ts [--out DIR] [--force]
import { parseArgs } from 'node:util';
import { buildDemoModel, DEFAULT_DEMO_DIR, demoModelIsBuilt } from '../src/models/demo-gen/index';

const { values } = parseArgs({
  options: { out: { type: 'string', default: DEFAULT_DEMO_DIR }, force: { type: 'boolean', default: false } },
});
const out = values.out ?? DEFAULT_DEMO_DIR;
if (!values.force && demoModelIsBuilt(out)) {
  console.log(`demo-gen already built at ${out} (use --force to rebuild)`);
} else {
  const started = performance.now();
  const { bytes, stats } = await buildDemoModel(out);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`demo-gen written to ${out}: ${(bytes / 1e6).toFixed(1)} MB ONNX, ${seconds}s`, stats);
}
