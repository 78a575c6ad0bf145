#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, in this process.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
