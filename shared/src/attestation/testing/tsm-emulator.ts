// TEST-ONLY. A stand-in for the Linux kernel's configfs-tsm report interface (/sys/kernel/config/tsm/report/) in an
// ordinary directory, because no TDX machine is available to the tests. It speaks the protocol the worker's reader
// follows: the reader makes an entry directory; the emulator fills it with provider, generation, inblob and outblob;
// the reader writes 64 bytes of report data to inblob and waits for generation to move on, then reads outblob.
// Unlike the kernel, which answers every write, the emulator answers an inblob whose bytes differ from the last one it
// answered in that entry: a rewrite of identical bytes cannot be told apart reliably (file timestamps are coarse).
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface TsmEmulator {
  stop(): void;
}

const POLL_MS = 10;
const REPORT_DATA_LEN = 64;

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

export function startTsmEmulator(
  root: string,
  makeQuote: (reportData: Uint8Array) => Uint8Array,
): TsmEmulator {
  // Staging lives beside root, not in an entry, so a reader never sees a half-written file there; beside rather than
  // in os.tmpdir() so that rename stays on one filesystem.
  const staging = mkdtempSync(join(dirname(root), `.${basename(root)}-tsm-staging-`));
  let staged = 0;
  const writeAtomically = (path: string, data: string | Uint8Array) => {
    const tmp = join(staging, String(staged++));
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  };
  // Per entry, the inblob last answered.
  const entries = new Map<string, Buffer>();

  const create = (dir: string) => {
    writeAtomically(join(dir, 'provider'), 'tdx_guest\n');
    writeAtomically(join(dir, 'inblob'), '');
    writeAtomically(join(dir, 'outblob'), '');
    // Last: a reader that sees generation sees the rest.
    writeAtomically(join(dir, 'generation'), '0\n');
  };

  const serve = (name: string, dir: string, answered: Buffer) => {
    const inblob = readFileSync(join(dir, 'inblob'));
    // A short read is a write still in progress (or a malformed one); the kernel would reject the latter outright.
    if (inblob.length !== REPORT_DATA_LEN) return;
    if (inblob.equals(answered)) return;
    entries.set(name, inblob);
    // outblob before generation: the reader takes generation g0+1 to mean outblob holds the answer.
    writeAtomically(join(dir, 'outblob'), makeQuote(new Uint8Array(inblob)));
    const generation = Number.parseInt(readFileSync(join(dir, 'generation'), 'utf8'), 10);
    writeAtomically(join(dir, 'generation'), `${generation + 1}\n`);
  };

  const tick = () => {
    const seen = new Set<string>();
    for (const dirent of readdirSync(root, { withFileTypes: true })) {
      if (!dirent.isDirectory()) continue;
      seen.add(dirent.name);
      const dir = join(root, dirent.name);
      try {
        const answered = entries.get(dirent.name);
        if (answered) serve(dirent.name, dir, answered);
        else {
          create(dir);
          entries.set(dirent.name, Buffer.alloc(0));
        }
      } catch (err) {
        // The reader may remove its entry at any moment; a later mkdir of that name is a fresh entry.
        if (!isMissing(err)) throw err;
      }
    }
    for (const name of entries.keys()) if (!seen.has(name)) entries.delete(name);
  };

  const timer = setInterval(tick, POLL_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      rmSync(staging, { recursive: true, force: true });
    },
  };
}
