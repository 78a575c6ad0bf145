#!/usr/bin/env node
// Builds the packed worker: dist/cli.js, one ESM file with the worker's code and what it uses of @cocoon/shared
// (a workspace package that is not published) inlined. Every other package stays an import, and each one must
// be listed in worker/package.json's dependencies: the build fails naming any that is not, so the tarball
// always installs what it runs. `npm pack` runs this as prepack.
//   node worker/scripts/build.mjs
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const outfile = path.join(root, 'dist', 'cli.js');

/** Bare imports stay external, except the workspace's own packages, which are bundled. */
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@cocoon/')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

rmSync(path.join(root, 'dist'), { recursive: true, force: true });
const result = await build({
  entryPoints: [path.join(root, 'src', 'cli.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  plugins: [externalPackages],
  define: { 'process.env.COCOON_WORKER_PACKED': '"1"' },
  banner: { js: '#!/usr/bin/env node' },
  metafile: true,
  logLevel: 'warning',
});

// The package a bare import names: "pino", "@noble/curves/ed25519.js" → "@noble/curves".
const packageOf = (spec) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');
const builtins = new Set(builtinModules);
const imported = new Set();
for (const output of Object.values(result.metafile.outputs)) {
  for (const imp of output.imports) {
    if (!imp.external || imp.path.startsWith('node:') || builtins.has(imp.path)) continue;
    imported.add(packageOf(imp.path));
  }
}
const missing = [...imported].filter((name) => !pkg.dependencies?.[name]).sort();
if (missing.length) {
  console.error(
    `worker build: dist/cli.js imports ${missing.join(', ')}, not in worker/package.json dependencies: add ${missing.length > 1 ? 'them' : 'it'}`,
  );
  process.exit(1);
}
chmodSync(outfile, 0o755);
const bytes = result.metafile.outputs[path.relative(process.cwd(), outfile)]?.bytes;
console.log(
  `worker build: dist/cli.js${bytes ? ` (${(bytes / 1024).toFixed(0)} KiB)` : ''}, imports ${[...imported].sort().join(', ')}`,
);
