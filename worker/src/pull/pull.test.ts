// `cocoon-worker pull` against a local stand-in for the Hugging Face hub (testing/hub-server.ts) serving the
// project's tiny test model with extra variants: what is fetched and skipped, resume after a cut, checksums,
// unknown repos, the token kept off the CDN, and the digest the worker computes for the folder.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentEngineLogger } from '../engine/logger';
import { isHfCausalLmFolder, readHfFolder } from '../models/causal-lm/hf-folder';
import { loadCausalLM } from '../models/causal-lm/runner';
import { writeTinyModel } from '../models/causal-lm/tiny-model';
import { folderDigest } from '../models/digest';
import { type PullIo, runPull } from './command';
import { partialPath } from './download';
import { type HubServer, startHubServer } from './testing/hub-server';

const REPO = 'test-org/tiny-lm';
let root: string;
let hub: HubServer;
let models: string;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'cocoon-pull-'));
  const repo = path.join(root, 'repo');
  await writeTinyModel(repo);
  // What an export on the hub also carries: other variants (one with split external data), other formats.
  const onnx = path.join(repo, 'onnx');
  writeFileSync(path.join(onnx, 'model_q4.onnx'), Buffer.alloc(300, 4));
  copyFileSync(path.join(onnx, 'model.onnx'), path.join(onnx, 'model_fp16.onnx'));
  writeFileSync(path.join(onnx, 'model_fp16.onnx_data'), Buffer.alloc(5000, 1));
  writeFileSync(path.join(onnx, 'model_fp16.onnx_data_1'), Buffer.alloc(3000, 2));
  writeFileSync(path.join(repo, 'model.safetensors'), Buffer.alloc(2000, 9));
  writeFileSync(path.join(repo, 'README.md'), '# tiny\n');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeEach(async () => {
  hub = await startHubServer({ repos: { [REPO]: path.join(root, 'repo') } });
  models = mkdtempSync(path.join(root, 'models-'));
});
afterEach(async () => {
  await hub.close();
});

async function pull(args: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const io: PullIo = {
    env: { HF_ENDPOINT: hub.url, ...env },
    out: { write: (s: string) => (out += s) },
    err: { write: (s: string) => (err += s) },
    retryDelayMs: 0,
  };
  const code = await runPull([...args, '--models', models], io);
  return { code, out, err };
}

const cdnGets = (file: string) =>
  hub.requests.filter((r) => r.server === 'cdn' && r.path.endsWith(`/${file}`));

describe('cocoon-worker pull', () => {
  it('fetches the fp32 export and what the worker needs, skips the rest, and prints the digest the worker computes', async () => {
    const r = await pull([REPO], { HF_TOKEN: 'hf_secret' });
    expect(r.err).not.toContain('cocoon-worker pull:');
    expect(r.code).toBe(0);
    const dir = path.join(models, 'tiny-lm');
    expect(isHfCausalLmFolder(dir)).toBe(true);
    expect(readHfFolder(dir).dtype).toBe('fp32');
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'])
      expect(existsSync(path.join(dir, f))).toBe(true);
    for (const f of ['onnx/model_q4.onnx', 'onnx/model_fp16.onnx', 'model.safetensors', 'README.md'])
      expect(existsSync(path.join(dir, f))).toBe(false);
    expect(readFileSync(path.join(dir, 'onnx/model.onnx'))).toEqual(
      readFileSync(path.join(root, 'repo/onnx/model.onnx')),
    );
    // The digest printed is the one the worker computes when it loads the folder (the provenance file is hidden).
    const digest = /digest ([0-9a-f]{64})/.exec(r.out)?.[1];
    expect(digest).toBe(folderDigest(dir));
    expect(JSON.parse(readFileSync(path.join(dir, '.cocoon-pull.json'), 'utf8'))).toMatchObject({
      repo: REPO,
      dtype: 'fp32',
      digest,
    });
    expect(r.out).toContain('6 skipped'); // q4, fp16 and its two data files, safetensors, README
    expect(existsSync(path.join(models, '.pull', 'tiny-lm'))).toBe(false);
    // The token went to the hub, never to the CDN the weights came from.
    expect(hub.requests.filter((q) => q.server === 'hub').every((q) => q.auth)).toBe(true);
    expect(cdnGets('onnx/model.onnx')).toEqual([expect.objectContaining({ auth: false })]);
    // A progress bar per file.
    expect(r.err).toMatch(/\[\d\/\d\] onnx\/model\.onnx \[#+\] 100%/);
    // And the worker runs what was pulled.
    const lm = await loadCausalLM(dir, { device: 'cpu', logger: silentEngineLogger });
    try {
      const out = await lm.generate({ prompt: 'the', maxTokens: 20, temperature: 0 });
      expect(out.text).toBe('quick brown fox jumps over lazy dog.');
    } finally {
      await lm.dispose();
    }
  });

  it('picks the variant --dtype asks for, with its split external data', async () => {
    const r = await pull([REPO, '--dtype', 'fp16', '--name', 'tiny-fp16']);
    expect(r.code).toBe(0);
    const dir = path.join(models, 'tiny-fp16');
    for (const f of ['onnx/model_fp16.onnx', 'onnx/model_fp16.onnx_data', 'onnx/model_fp16.onnx_data_1'])
      expect(existsSync(path.join(dir, f))).toBe(true);
    expect(existsSync(path.join(dir, 'onnx/model.onnx'))).toBe(false);
    expect(readHfFolder(dir).dtype).toBe('fp16');

    // Unnamed, the dtype follows the device: fp16 for CUDA when the repo has it.
    const gpu = await pull([REPO, '--name', 'tiny-gpu'], { COCOON_DEVICE: 'cuda' });
    expect(gpu.code).toBe(0);
    expect(readHfFolder(path.join(models, 'tiny-gpu')).dtype).toBe('fp16');

    const none = await pull([REPO, '--dtype', 'q8']);
    expect(none.code).toBe(1);
    expect(none.err).toContain('has no onnx/model_quantized.onnx for --dtype q8; it has fp32, fp16, q4');
  });

  it('resumes an interrupted download from its partial file with a Range request', async () => {
    const size = statSync(path.join(root, 'repo/onnx/model.onnx')).size;
    hub.cutNext('onnx/model.onnx', 100);
    const first = await pull([REPO, '--retries', '0']);
    expect(first.code).toBe(1);
    expect(first.err).toMatch(
      /onnx\/model\.onnx: the download (stopped|ended) at 100 of \d+ bytes.*; pull again to resume/,
    );
    const part = partialPath(path.join(models, '.pull', 'tiny-lm'), 'onnx/model.onnx');
    expect(statSync(part).size).toBe(100);
    expect(existsSync(path.join(models, 'tiny-lm'))).toBe(false); // no half model where the worker looks

    const second = await pull([REPO]);
    expect(second.code).toBe(0);
    expect(cdnGets('onnx/model.onnx').map((q) => q.range)).toEqual([undefined, 'bytes=100-']);
    expect(statSync(path.join(models, 'tiny-lm/onnx/model.onnx')).size).toBe(size);
    expect(/digest ([0-9a-f]{64})/.exec(second.out)?.[1]).toBe(folderDigest(path.join(models, 'tiny-lm')));
    // Files already fetched were checked, not fetched again.
    expect(hub.requests.filter((q) => q.path.endsWith('/config.json'))).toHaveLength(1);
  });

  it('retries a dropped connection within one pull, resuming where it stopped', async () => {
    hub.cutNext('onnx/model.onnx', 64);
    const r = await pull([REPO]);
    expect(r.code).toBe(0);
    expect(cdnGets('onnx/model.onnx').map((q) => q.range)).toEqual([undefined, 'bytes=64-']);
  });

  it('refuses a file whose bytes do not match the checksum, naming the file, and keeps none of it', async () => {
    hub.corrupt('onnx/model.onnx');
    const lfs = await pull([REPO]);
    expect(lfs.code).toBe(1);
    expect(lfs.err).toContain('checksum mismatch for onnx/model.onnx: the hub lists sha256');
    expect(existsSync(partialPath(path.join(models, '.pull', 'tiny-lm'), 'onnx/model.onnx'))).toBe(false);
    expect(existsSync(path.join(models, 'tiny-lm'))).toBe(false);
    expect(cdnGets('onnx/model.onnx')).toHaveLength(1); // not retried: the same bytes would come again

    await hub.close();
    hub = await startHubServer({ repos: { [REPO]: path.join(root, 'repo') } });
    hub.corrupt('tokenizer.json');
    const plain = await pull([REPO]);
    expect(plain.code).toBe(1);
    expect(plain.err).toContain('checksum mismatch for tokenizer.json: the hub lists git-sha1');
  });

  it('says clearly when a repo is unknown, or needs a token', async () => {
    const r = await pull(['test-org/no-such-model']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`test-org/no-such-model at revision main was not found on ${hub.url}`);
    expect(r.err).toContain('set HF_TOKEN');

    hub.requireToken('hf_right');
    expect((await pull([REPO])).code).toBe(1);
    expect((await pull([REPO], { HF_TOKEN: 'hf_right' })).code).toBe(0);
  });

  it('keeps a model folder already there unless --force', async () => {
    mkdirSync(path.join(models, 'tiny-lm'));
    const r = await pull([REPO]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('already exists');
    expect((await pull([REPO, '--force'])).code).toBe(0);
    expect(isHfCausalLmFolder(path.join(models, 'tiny-lm'))).toBe(true);
  });

  it('refuses bad arguments with what to fix (exit 2)', async () => {
    expect((await pull([])).code).toBe(2);
    expect((await pull(['not a repo'])).err).toContain('name the repo first, as owner/name');
    const dtype = await pull([REPO, '--dtype', 'fp64']);
    expect(dtype.code).toBe(2);
    expect(dtype.err).toContain('--dtype (or COCOON_DTYPE): must be one of fp32');
    expect((await pull([REPO, '--revision', '../x'])).code).toBe(2);
    expect((await pull([REPO, '--max-file-bytes', '10'])).err).toContain('above --max-file-bytes 10');
    expect((await pull([REPO], { HF_ENDPOINT: 'ftp://hub' })).err).toContain('--endpoint (or HF_ENDPOINT)');
  });
});
