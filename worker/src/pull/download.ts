// One file from the hub into a folder: resumed from a partial file with HTTP Range, bounded by the size the
// listing gave, and checked against the listing's checksum before it takes its name. A mismatch deletes the
// partial file (its bytes are wrong somewhere, and a resume would keep them) and names the file.
import { createHash, type Hash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { HubError, type HubFile, type HubOptions, hubGet, idleBounded } from './hub';

/** A downloaded file: its sha256 (what the worker's model digest is made of, models/digest.ts). */
export interface Downloaded {
  path: string;
  size: number;
  sha256: string;
  /** Bytes that came over the network this time (0: it was there already). */
  fetched: number;
}

export interface DownloadOptions {
  hub: HubOptions;
  url: string;
  file: HubFile;
  dir: string;
  onBytes?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** The partial file a download writes to before its checksum holds. */
export function partialPath(dir: string, file: string): string {
  return path.join(dir, `${file}.partial`);
}

export async function downloadFile(o: DownloadOptions): Promise<Downloaded> {
  const dest = path.join(o.dir, o.file.path);
  const part = partialPath(o.dir, o.file.path);
  mkdirSync(path.dirname(dest), { recursive: true });
  // Done before (an earlier pull of this commit): checked again, not fetched again.
  if (existsSync(dest) && statSync(dest).size === o.file.size) {
    const sums = await hashFile(dest, o.file.size);
    if (matches(o.file, sums)) {
      o.onBytes?.(o.file.size, o.file.size);
      return { path: o.file.path, size: o.file.size, sha256: sums.sha256, fetched: 0 };
    }
    rmSync(dest);
  }
  let have = existsSync(part) ? statSync(part).size : 0;
  if (have > o.file.size) {
    rmSync(part);
    have = 0;
  }
  // A zero-byte file (listed, with its checksum) fetches nothing: its partial file must still exist to be
  // checked and renamed (it was an ENOENT crash on every pull of such a repo).
  if (!existsSync(part)) writeFileSync(part, '');
  const fetched = have < o.file.size ? await fetchInto(o, part, have) : 0;
  const sums = await hashFile(part, o.file.size);
  if (!matches(o.file, sums)) {
    rmSync(part, { force: true });
    const got = o.file.check.kind === 'sha256' ? sums.sha256 : sums.gitSha1;
    throw new HubError(
      `checksum mismatch for ${o.file.path}: the hub lists ${o.file.check.kind} ${o.file.check.hex}, ` +
        `the bytes received hash to ${got}; the partial file was deleted, pull again`,
    );
  }
  renameSync(part, dest);
  return { path: o.file.path, size: o.file.size, sha256: sums.sha256, fetched };
}

/** Appends the rest of the file to `part` from byte `have`; returns the bytes fetched. */
async function fetchInto(o: DownloadOptions, part: string, have: number): Promise<number> {
  const res = await hubGet(o.hub, o.url, have > 0 ? { range: `bytes=${have}-` } : {}, o.signal);
  if (res.status === 401 || res.status === 403 || res.status === 404) {
    await res.body?.cancel();
    throw new HubError(`${o.file.path}: the hub answered ${res.status} (for a gated repo, set HF_TOKEN)`);
  }
  // 206: the rest, as asked. 200: the whole file (a server that ignores Range): start over.
  let from = have;
  if (res.status === 200) from = 0;
  else if (res.status === 416 && have === o.file.size) return 0;
  else if (res.status !== 206 || !rangeStartsAt(res, have)) {
    await res.body?.cancel();
    throw new HubError(`${o.file.path}: the hub answered ${res.status} to a download`);
  }
  const out = createWriteStream(part, { flags: from === 0 ? 'w' : 'a' });
  const closed = new Promise<void>((resolve, reject) => {
    out.on('close', resolve);
    out.on('error', reject);
  });
  let done = from;
  try {
    for await (const chunk of idleBounded(res, o.hub.timeoutMs, o.file.path)) {
      // The listing's size bounds what a server may send: never more on disk than the file is.
      if (done + chunk.byteLength > o.file.size)
        throw new HubError(`${o.file.path}: the hub sent more than its ${o.file.size} bytes`);
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      done += chunk.byteLength;
      o.onBytes?.(done, o.file.size);
    }
  } catch (err) {
    if (!(err instanceof HubError) || err.message.includes('sent more than')) throw err;
    const why = err.message.replace(`${o.file.path}: `, '');
    throw new HubError(
      `${o.file.path}: the download stopped at ${done} of ${o.file.size} bytes (${why}); pull again to resume`,
    );
  } finally {
    out.end();
    await closed;
  }
  if (done < o.file.size)
    throw new HubError(
      `${o.file.path}: the download ended at ${done} of ${o.file.size} bytes; pull again to resume`,
    );
  return done - from;
}

function rangeStartsAt(res: Response, start: number): boolean {
  const m = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
  return m !== null && Number(m[1]) === start;
}

interface Sums {
  sha256: string;
  gitSha1: string;
}

function matches(file: HubFile, sums: Sums): boolean {
  return file.check.hex === (file.check.kind === 'sha256' ? sums.sha256 : sums.gitSha1);
}

/** sha256 of a file, and its git blob id (sha1 over `blob <size>\0` and the bytes), in one read. */
async function hashFile(file: string, size: number): Promise<Sums> {
  const sha256 = createHash('sha256');
  const git: Hash = createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of createReadStream(file)) {
    sha256.update(chunk as Buffer);
    git.update(chunk as Buffer);
  }
  return { sha256: sha256.digest('hex'), gitSha1: git.digest('hex') };
}
