import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTsmEmulator, type TsmEmulator } from './tsm-emulator';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(read: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = read();
    if (value !== undefined) return value;
    await sleep(2);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function generation(entry: string): number | undefined {
  try {
    return Number.parseInt(readFileSync(join(entry, 'generation'), 'utf8'), 10);
  } catch {
    return undefined;
  }
}

/** A minimal reader following the configfs-tsm protocol the worker uses. */
async function requestReport(root: string, name: string, reportData: Uint8Array): Promise<Buffer> {
  const entry = join(root, name);
  if (!existsSync(entry)) mkdirSync(entry);
  const g0 = await until(() => generation(entry), 'the entry to be populated');
  writeFileSync(join(entry, 'inblob'), reportData);
  await until(() => (generation(entry) === g0 + 1 ? true : undefined), 'generation to advance');
  const outblob = readFileSync(join(entry, 'outblob'));
  expect(generation(entry)).toBe(g0 + 1);
  return outblob;
}

describe('configfs-tsm emulator', () => {
  let dir: string;
  let root: string;
  let tsm: TsmEmulator;
  // A recognisable stand-in for a quote: a marker then the report data it binds.
  const fakeQuote = (reportData: Uint8Array) => Buffer.concat([Buffer.from('QUOTE:'), reportData]);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsm-emulator-test-'));
    root = join(dir, 'report');
    mkdirSync(root);
    tsm = startTsmEmulator(root, fakeQuote);
  });
  afterEach(() => {
    tsm.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('populates a new entry the way configfs-tsm does', async () => {
    mkdirSync(join(root, 'e1'));
    const entry = join(root, 'e1');
    await until(() => generation(entry), 'the entry to be populated');
    expect(readFileSync(join(entry, 'provider'), 'utf8')).toBe('tdx_guest\n');
    expect(readFileSync(join(entry, 'generation'), 'utf8')).toBe('0\n');
    expect(readFileSync(join(entry, 'inblob')).length).toBe(0);
    expect(readFileSync(join(entry, 'outblob')).length).toBe(0);
  });

  it('answers each 64-byte inblob with a quote over it, reusing an entry', async () => {
    const first = new Uint8Array(64).fill(1);
    const second = new Uint8Array(64).fill(2);
    expect(await requestReport(root, 'worker', first)).toEqual(fakeQuote(first));
    expect(await requestReport(root, 'worker', second)).toEqual(fakeQuote(second));
    expect(generation(join(root, 'worker'))).toBe(2);
  });

  it('ignores an inblob that is not 64 bytes', async () => {
    const entry = join(root, 'short');
    mkdirSync(entry);
    await until(() => generation(entry), 'the entry to be populated');
    writeFileSync(join(entry, 'inblob'), new Uint8Array(32));
    await sleep(50);
    expect(generation(entry)).toBe(0);
    expect(readFileSync(join(entry, 'outblob')).length).toBe(0);
  });

  it('serves entries independently and leaves no staging files behind', async () => {
    const a = new Uint8Array(64).fill(0xa);
    const b = new Uint8Array(64).fill(0xb);
    const [qa, qb] = await Promise.all([requestReport(root, 'a', a), requestReport(root, 'b', b)]);
    expect(qa).toEqual(fakeQuote(a));
    expect(qb).toEqual(fakeQuote(b));
    tsm.stop();
    expect(readdirSync(dir)).toEqual(['report']);
  });
});
