// The `cocoon-worker pull <repo>` command: its flags and environment, its progress on stderr, its report.
import path from 'node:path';
import { parseFlags } from '@cocoon/shared/node';
import { z } from 'zod';
import { DTYPE_PREFERENCE, DTYPES } from '../models/causal-lm/dtypes';
import { DEFAULT_MODELS_DIR } from '../models/index';
import { progressBar } from '../status-line';
import { HubError, REPO_ID } from './hub';
import { pullModel } from './pull';

export const PULL_USAGE = `Usage: cocoon-worker pull <owner/repo> [options]

Fetches an ONNX export from the Hugging Face hub into the models folder, as <models>/<name>.

  --dtype D           which onnx/ variant (the others are skipped):        env COCOON_DTYPE
                      ${DTYPES.join(', ')}
                      (default: fp32, onnx/model.onnx; with --device cuda fp16 when the repo has it)
  --device D          the device the rig runs on: auto | cuda | cpu        env COCOON_DEVICE
                      (only picks the default dtype; auto counts as cpu)
  --revision R        branch, tag or commit (default main)
  --name NAME         the model id and folder name (default: the repo's name)
  --models DIR        the models folder                                env COCOON_MODELS_DIR
  --force             replace a model folder of that name
  --max-file-bytes N  refuse a file larger than this (default 100 GiB)
  --timeout S         seconds to wait for an answer, and for the next bytes (default 60)
  --retries N         resumed attempts per file after a dropped connection (default 3)
  --endpoint URL      the hub (default https://huggingface.co)         env HF_ENDPOINT
  -h, --help          show this help

  HF_TOKEN            a Hugging Face token, for gated or private repos (sent to the hub's own host only)

A pull resumes where an interrupted one stopped, checks every file against the hub's checksums, and prints
the model's digest: what the operator pins for it in MODEL_CATALOGUE.
`;

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const GiB = 1024 ** 3;

const pullSchema = z.object({
  dtype: z.enum(DTYPES as [string, ...string[]], { error: `must be one of ${DTYPES.join(', ')}` }).optional(),
  device: z.enum(['auto', 'cuda', 'cpu'], { error: 'must be auto, cuda or cpu' }).default('auto'),
  revision: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/, 'must be a branch, tag or commit name')
    .refine((r) => !r.split('/').includes('..'), 'must be a branch, tag or commit name')
    .default('main'),
  name: z.string().regex(MODEL_NAME, 'must be 1-64 letters, digits, dots, dashes or underscores').optional(),
  models: z.string().min(1).optional(),
  force: z.boolean().default(false),
  maxFileBytes: z.coerce
    .number({ error: 'must be a whole number of bytes' })
    .int('must be a whole number of bytes')
    .positive('must be a whole number of bytes')
    .default(100 * GiB),
  timeout: z.coerce.number({ error: 'must be seconds' }).positive('must be seconds').max(3600).default(60),
  retries: z.coerce.number({ error: 'must be 0 to 20' }).int('must be 0 to 20').min(0).max(20).default(3),
  endpoint: z
    .string()
    .refine(
      (s) => URL.canParse(s) && ['http:', 'https:'].includes(new URL(s).protocol),
      'must be an http(s) URL',
    )
    .default('https://huggingface.co'),
});

/** HF_TOKEN, from the environment only (a token on the command line is visible to every user in `ps`). */
const hfToken = z.string().trim().max(1024, 'is too long to be a token').optional();

const FLAGS = {
  dtype: { flag: 'dtype', env: 'COCOON_DTYPE' },
  device: { flag: 'device', env: 'COCOON_DEVICE' },
  revision: { flag: 'revision' },
  name: { flag: 'name' },
  models: { flag: 'models', env: 'COCOON_MODELS_DIR' },
  force: { flag: 'force', boolean: true },
  maxFileBytes: { flag: 'max-file-bytes' },
  timeout: { flag: 'timeout' },
  retries: { flag: 'retries' },
  endpoint: { flag: 'endpoint', env: 'HF_ENDPOINT' },
} as const;

export interface PullIo {
  env: NodeJS.ProcessEnv;
  err: { isTTY?: boolean; write(s: string): unknown };
  out: { write(s: string): unknown };
  fetch?: typeof fetch;
  /** Tests: milliseconds before a retry. */
  retryDelayMs?: number;
}

/** Runs `pull` with the arguments after the word `pull`; the exit code (0 pulled, 1 failed, 2 bad arguments). */
export async function runPull(argv: string[], io: PullIo): Promise<number> {
  const [repo, ...rest] = argv;
  if (repo === '-h' || repo === '--help' || rest.includes('-h') || rest.includes('--help')) {
    io.out.write(PULL_USAGE);
    return 0;
  }
  if (!repo || repo.startsWith('-') || !REPO_ID.test(repo)) {
    io.err.write(
      `cocoon-worker pull: name the repo first, as owner/name (e.g. onnx-community/Qwen2.5-0.5B-Instruct)\n\n${PULL_USAGE}`,
    );
    return 2;
  }
  const parsed = parseFlags({ argv: rest, env: io.env, flags: FLAGS, schema: pullSchema });
  if (parsed.kind !== 'ok') {
    const lines = parsed.kind === 'error' ? parsed.lines : [];
    io.err.write(`cocoon-worker pull: ${lines.join('\ncocoon-worker pull: ')}\n\n${PULL_USAGE}`);
    return 2;
  }
  const c = parsed.config;
  const token = hfToken.safeParse(io.env.HF_TOKEN || undefined);
  if (!token.success) {
    io.err.write('cocoon-worker pull: HF_TOKEN is too long to be a token\n');
    return 2;
  }
  const name = c.name ?? repo.split('/')[1];
  if (!MODEL_NAME.test(name)) {
    io.err.write(`cocoon-worker pull: ${name} can't be a model id; pass --name\n`);
    return 2;
  }
  const progress = byteProgress(io.err);
  try {
    const r = await pullModel({
      hub: { endpoint: c.endpoint, token: token.data, timeoutMs: c.timeout * 1000, fetch: io.fetch },
      repo,
      revision: c.revision,
      dtype: c.dtype,
      // The worker's own choice for the device (dtypes.ts); `auto` can't know yet whether CUDA will load.
      preferred: DTYPE_PREFERENCE[c.device === 'cuda' ? 'cuda' : 'cpu'],
      modelsDir: path.resolve(c.models ?? DEFAULT_MODELS_DIR),
      name,
      force: c.force,
      maxFileBytes: c.maxFileBytes,
      retries: c.retries,
      retryDelayMs: io.retryDelayMs,
      onFile: progress.file,
      onBytes: progress.bytes,
    });
    progress.end();
    const fetched = r.files.reduce((n, f) => n + f.fetched, 0);
    io.out.write(
      `pulled ${repo}@${r.commit.slice(0, 12)} (${r.dtype}) into ${r.dir}: ${r.files.length} files, ` +
        `${mb(fetched)} fetched${r.skipped.length ? `, ${r.skipped.length} skipped (other variants and formats)` : ''}\n` +
        `model ${name}\ndigest ${r.digest}\n` +
        `The worker serves it as "${name}" from its next start. Outside local mode the proxy takes it only if the ` +
        `operator's MODEL_CATALOGUE pins this name to this digest.\n`,
    );
    return 0;
  } catch (err) {
    progress.end();
    if (!(err instanceof HubError)) throw err;
    io.err.write(`cocoon-worker pull: ${err.message}\n`);
    return 1;
  }
}

/** Download progress on stderr: one bar redrawn in place on a terminal, a line per file and per 25% otherwise. */
function byteProgress(err: PullIo['err']) {
  let current = '';
  let step = -1;
  let label = '';
  return {
    file(file: string, index: number, count: number) {
      if (err.isTTY && current) err.write('\n');
      current = file;
      step = -1;
      label = `[${index + 1}/${count}] ${file}`;
    },
    bytes(_file: string, done: number, total: number) {
      const f = total ? done / total : 1;
      const line = `${label} ${progressBar(f)} ${mb(done)} / ${mb(total)}`;
      if (err.isTTY) {
        err.write(`\r\x1b[2K${line}`);
        return;
      }
      const s = Math.floor(f * 4);
      if (s === step) return;
      step = s;
      err.write(`${line}\n`);
    },
    end() {
      if (err.isTTY && current) err.write('\n');
      current = '';
    },
  };
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
