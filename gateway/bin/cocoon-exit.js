#!/usr/bin/env node
// Runs the exit CLI (TypeScript) through tsx, in this process.
import { register } from 'tsx/esm/api';

register();
await import('../src/exit/cli.ts');
