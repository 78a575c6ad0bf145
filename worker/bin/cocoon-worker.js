#!/usr/bin/env node
// In the repository: runs the TypeScript CLI through tsx, so the worker needs no build step.
// Packed (`npm pack`, src/ not in the tarball): runs dist/cli.js, the bundle scripts/build.mjs makes.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/cli.js');
}
