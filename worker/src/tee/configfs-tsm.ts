// TDX quotes from the Linux kernel's configfs-tsm report interface (Documentation/ABI/testing/
// configfs-tsm): make an entry under /sys/kernel/config/tsm/report/, write the 64 bytes of report data to its
// `inblob`, read the quote from its `outblob`. `generation` counts writes, so a quote read between two equal
// readings is the one for our report data and not another process's. Tests lay out a directory that stands
// in for the kernel's (shared/src/attestation/testing/tsm-emulator.ts), since no TDX machine is here: the
// same code runs against both.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const DEFAULT_TSM_DIR = '/sys/kernel/config/tsm/report';
/** The provider name a TDX guest's configfs-tsm reports. */
const TDX_PROVIDER = 'tdx_guest';
const QUOTE_TIMEOUT_MS = 10_000;
const MAX_QUOTE_BYTES = 64 * 1024;

export class TsmError extends Error {
  override name = 'TsmError';
}

/** The entry this process uses: one per process, reused for every quote (configfs allows it). */
function entryDir(root: string): string {
  return path.join(root, `cocoon-worker-${process.pid}`);
}

/**
 * Whether configfs-tsm here offers TDX quotes: the report directory exists and an entry's provider is the TDX
 * guest driver. Says why not in words (for the one log line of `--tee auto`).
 */
export async function detectTdx(root = DEFAULT_TSM_DIR): Promise<{ tdx: boolean; why: string }> {
  try {
    if (!(await stat(root)).isDirectory()) return { tdx: false, why: `${root} is not a directory` };
  } catch {
    return { tdx: false, why: `no configfs-tsm at ${root}` };
  }
  try {
    const provider = await entryProvider(root);
    return provider === TDX_PROVIDER
      ? { tdx: true, why: `configfs-tsm provider ${provider}` }
      : { tdx: false, why: `configfs-tsm provider is ${provider || 'unknown'}, not ${TDX_PROVIDER}` };
  } catch (err) {
    return { tdx: false, why: `configfs-tsm at ${root} is not usable: ${(err as Error).message}` };
  }
}

async function entryProvider(root: string): Promise<string> {
  const dir = entryDir(root);
  await mkdir(dir, { recursive: true });
  return (await waitForFile(path.join(dir, 'provider'))).toString('utf8').trim();
}

/** A TD quote whose report data is `reportData` (64 bytes). Bounded in time; throws TsmError. */
export async function tdxQuote(reportData: Uint8Array, root = DEFAULT_TSM_DIR): Promise<Uint8Array> {
  if (reportData.length !== 64) throw new TsmError('report data must be 64 bytes');
  const dir = entryDir(root);
  await mkdir(dir, { recursive: true });
  const generationFile = path.join(dir, 'generation');
  const deadline = Date.now() + QUOTE_TIMEOUT_MS;
  for (let tries = 0; tries < 3; tries++) {
    const before = await readGeneration(generationFile, deadline);
    await writeFile(path.join(dir, 'inblob'), reportData);
    // The kernel bumps the generation as the write lands; the stand-in does once its quote is ready.
    let after = await readGeneration(generationFile, deadline);
    while (after === before) {
      if (Date.now() > deadline) throw new TsmError('configfs-tsm produced no quote in time');
      await sleep(5);
      after = await readGeneration(generationFile, deadline);
    }
    const quote = await readFile(path.join(dir, 'outblob'));
    if ((await readGeneration(generationFile, deadline)) !== after) continue; // another writer: again
    if (after !== before + 1) continue;
    if (quote.length === 0) throw new TsmError('configfs-tsm returned an empty quote');
    if (quote.length > MAX_QUOTE_BYTES) throw new TsmError(`configfs-tsm returned ${quote.length} bytes`);
    return new Uint8Array(quote);
  }
  throw new TsmError('another process kept writing to the configfs-tsm entry');
}

async function readGeneration(file: string, deadline: number): Promise<number> {
  const n = Number((await waitForFile(file, deadline)).toString('utf8').trim());
  if (!Number.isSafeInteger(n)) throw new TsmError(`${file} does not hold a number`);
  return n;
}

/** Reads a file the kernel (or its stand-in) creates with the entry, waiting a moment for it to appear. */
async function waitForFile(file: string, deadline = Date.now() + 2000): Promise<Buffer> {
  for (;;) {
    try {
      return await readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || Date.now() > deadline) throw err;
      await sleep(5);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
