// @ton/core uses Node's global Buffer; browsers need the `buffer` package in its place.
// Import this module before @ton/core.
import { Buffer } from 'buffer';

const g = globalThis as { Buffer?: unknown };
g.Buffer ??= Buffer;
