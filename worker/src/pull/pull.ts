// `cocoon-worker pull <repo>`: an ONNX export from the Hugging Face hub into the models folder, as a folder
// the worker loads (models/causal-lm/hf-folder.ts) under the model id it is named by.
//
// Only what the worker runs is fetched: the configs and tokenizer files at the repo's top level, and of its
// onnx/ folder the one variant asked for (`--dtype`: fp32's onnx/model.onnx, fp16's onnx/model_fp16.onnx …)
// with its external data (model.onnx_data, model.onnx_data_1 …); other variants, PyTorch and safetensors
// weights, READMEs are skipped. The files land in a hidden staging folder (models/.pull/<name>, which the
// worker doesn't load), each checked against the hub's listing, and the folder takes its name only when every
// file holds, so a rig never loads half a model. The revision is resolved to its commit once and every file is
// fetched at that commit.
//
// The model's digest is the worker's own (models/digest.ts: sha256 over its files' paths, sizes and sha256s),
// computed from the bytes fetched: the same repo, commit and dtype give every rig the same digest, which is
// what the operator pins in MODEL_CATALOGUE under the model's name. The pull's provenance (repo, commit,
// dtype, digest) is kept in the folder's `.cocoon-pull.json`, a hidden file, so not part of the digest.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DTYPE_FILES, DTYPES, type Dtype } from '../models/causal-lm/dtypes';
import { type DigestPart, digestOf } from '../models/digest';
import { type Downloaded, downloadFile } from './download';
import { HubError, type HubFile, type HubOptions, listRepoFiles, resolveUrl } from './hub';

/** Top-level files a Hugging Face ONNX folder needs besides its weights. */
const SUPPORT_FILE = /^[^/]+\.(json|jinja|txt|model|tiktoken)$/;

export interface PullOptions {
  hub: HubOptions;
  repo: string;
  revision: string;
  /** The onnx/ variant to fetch; undefined: the first of `preferred` the repo has. */
  dtype?: string;
  /** The variants wanted when no dtype is named, best first (command.ts: by the rig's device). */
  preferred?: readonly string[];
  /** The models folder (COCOON_MODELS_DIR); the model lands in <modelsDir>/<name>. */
  modelsDir: string;
  name: string;
  /** Replace a folder of that name that is already there. */
  force?: boolean;
  /** Largest file accepted, in bytes (the listing says each file's size before anything is fetched). */
  maxFileBytes: number;
  /** Attempts per file after a dropped connection or a stall, each resuming where the last one stopped. */
  retries: number;
  onFile?: (file: string, index: number, count: number, size: number) => void;
  onBytes?: (file: string, done: number, total: number) => void;
  /** Milliseconds before a retry (doubles each time). */
  retryDelayMs?: number;
}

export interface PullResult {
  dir: string;
  commit: string;
  dtype: string;
  digest: string;
  files: Downloaded[];
  skipped: string[];
}

/** The onnx/ variants a repo has, in DTYPE_FILES order. */
export function availableDtypes(files: readonly HubFile[]): string[] {
  return DTYPES.filter((d) => files.some((x) => x.path === `onnx/${DTYPE_FILES[d]}`));
}

/** Which of a repo's files a pull of `dtype` fetches, and which it skips. */
export function selectFiles(
  files: readonly HubFile[],
  dtype: string,
): { fetch: HubFile[]; skipped: string[] } | { missing: string; available: string[] } {
  const file = DTYPE_FILES[dtype as Dtype] as string | undefined;
  const onnx = file ? `onnx/${file}` : '';
  const available = availableDtypes(files);
  if (!files.some((f) => f.path === onnx)) return { missing: onnx || dtype, available };
  // The graph, and its external data in one file or split (model.onnx_data, model.onnx_data_1 …).
  const isWeights = (p: string) =>
    p === onnx ||
    p === `${onnx}_data` ||
    (p.startsWith(`${onnx}_data_`) && /^\d+$/.test(p.slice(onnx.length + 6)));
  const fetch = files.filter((f) => isWeights(f.path) || SUPPORT_FILE.test(f.path));
  return { fetch, skipped: files.filter((f) => !fetch.includes(f)).map((f) => f.path) };
}

export async function pullModel(o: PullOptions): Promise<PullResult> {
  const final = path.join(o.modelsDir, o.name);
  if (existsSync(final) && !o.force)
    throw new HubError(
      `${final} already exists; remove it, pull under another --name, or pass --force to replace it`,
    );
  const { commit, files } = await listRepoFiles(o.hub, o.repo, o.revision);
  const dtype =
    o.dtype ?? (o.preferred ?? ['fp32']).find((d) => availableDtypes(files).includes(d)) ?? 'fp32';
  const chosen = selectFiles(files, dtype);
  if ('missing' in chosen) {
    throw new HubError(
      `${o.repo} has no ${chosen.missing} for --dtype ${dtype}; ` +
        (chosen.available.length
          ? `it has ${chosen.available.join(', ')}`
          : 'it has no onnx/model*.onnx at all (pull takes ONNX exports, e.g. from onnx-community)'),
    );
  }
  for (const need of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
    if (!chosen.fetch.some((f) => f.path === need))
      throw new HubError(`${o.repo} has no ${need}, which the worker needs to run it`);
  const tooBig = chosen.fetch.find((f) => f.size > o.maxFileBytes);
  if (tooBig)
    throw new HubError(`${tooBig.path} is ${tooBig.size} bytes, above --max-file-bytes ${o.maxFileBytes}`);

  // Staging is per name and kept between runs: a pull that stopped resumes from its partial files.
  const staging = path.join(o.modelsDir, '.pull', o.name);
  mkdirSync(staging, { recursive: true });
  const done: Downloaded[] = [];
  for (const [i, file] of chosen.fetch.entries()) {
    o.onFile?.(file.path, i, chosen.fetch.length, file.size);
    done.push(await withRetries(o, resolveUrl(o.hub, o.repo, commit, file.path), file, staging));
  }
  const digest = digestOf(
    done.map((d): DigestPart => ({ kind: 'file', path: d.path, size: d.size, sha256: d.sha256 })),
  );
  writeFileSync(
    path.join(staging, '.cocoon-pull.json'),
    `${JSON.stringify({ repo: o.repo, revision: o.revision, commit, dtype, digest }, null, 2)}\n`,
  );
  if (existsSync(final)) rmSync(final, { recursive: true });
  renameSync(staging, final);
  return { dir: final, commit, dtype, digest, files: done, skipped: chosen.skipped };
}

async function withRetries(o: PullOptions, url: string, file: HubFile, staging: string): Promise<Downloaded> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await downloadFile({
        hub: o.hub,
        url,
        file,
        dir: staging,
        onBytes: (d, t) => o.onBytes?.(file.path, d, t),
      });
    } catch (err) {
      // A checksum mismatch is not a dropped connection: fetching it again the same way won't help.
      if (attempt >= o.retries || (err instanceof Error && err.message.startsWith('checksum mismatch')))
        throw err;
      await new Promise((r) => setTimeout(r, (o.retryDelayMs ?? 1000) * 2 ** attempt));
    }
  }
}
