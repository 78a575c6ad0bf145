// Folders as rig owners download them: several dtypes, split external data, the model's own sampling
// defaults, and folders the runner must refuse with the file and the reason.
import { cpSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentEngineLogger } from '../../engine/logger';
import { folderDigest, servedFiles } from '../digest';
import { NETWORK_SAMPLING_DEFAULTS, samplingDefaults } from './generation-defaults';
import { chooseDtype, readHfFolder } from './hf-folder';
import { loadCausalLM } from './runner';
import { type TestDecoderInfo, TINY_LLAMA, TINY_QWEN2, writeTestDecoder } from './test-decoder/index';

let root: string;
let split: TestDecoderInfo;
let inline: TestDecoderInfo;
const PROMPT = 'The committee said';

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cocoon-hf-folder-'));
  inline = await writeTestDecoder(path.join(root, 'inline'), TINY_QWEN2);
  split = await writeTestDecoder(path.join(root, 'split'), {
    ...TINY_QWEN2,
    dtypes: ['fp32', 'q8'],
    externalData: { chunkBytes: 150_000 },
  });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A copy of a folder to break. */
function copyOf(info: TestDecoderInfo, name: string): string {
  const dir = path.join(root, name);
  cpSync(info.dir, dir, { recursive: true });
  return dir;
}
const load = (dir: string, dtype?: 'fp32' | 'q8' | 'fp16') =>
  loadCausalLM(dir, { device: 'cpu', logger: silentEngineLogger, dtype });

describe('dtype', () => {
  it('serves fp32 on CPU by default, fp16 first on CUDA, and what is asked for', async () => {
    expect(readHfFolder(split.dir)).toMatchObject({ dtypes: ['fp32', 'q8'], dtype: 'fp32' });
    expect(readHfFolder(split.dir, { dtype: 'q8' }).dtype).toBe('q8');
    expect(chooseDtype(split.dir, ['fp32', 'fp16', 'q8'], undefined, 'cuda')).toBe('fp16');
    expect(chooseDtype(split.dir, ['q4', 'q8'], undefined, 'cpu')).toBe('q8');
    const lm = await load(split.dir, 'q8');
    try {
      expect(lm.dtype).toBe('q8');
      const out = await lm.generate({ prompt: PROMPT, maxTokens: 8, temperature: 0 });
      expect(out.completionTokens).toBe(8);
    } finally {
      await lm.dispose();
    }
  });

  it('gives each served file its own digest, and a one-file folder its whole-folder digest', () => {
    const fp32 = folderDigest(split.dir, undefined, servedFiles(['model_quantized.onnx']));
    const q8 = folderDigest(split.dir, undefined, servedFiles(['model.onnx']));
    expect(fp32).not.toBe(q8);
    expect(fp32).not.toBe(folderDigest(split.dir));
    expect(folderDigest(inline.dir, undefined, servedFiles(['model_quantized.onnx']))).toBe(
      folderDigest(inline.dir),
    );
  });

  it('takes the only file a quantized-only folder has', () => {
    const dir = copyOf(split, 'q8-only');
    for (const f of ['model.onnx', 'model.onnx_data', 'model.onnx_data_1', 'model.onnx_data_2']) {
      rmSync(path.join(dir, 'onnx', f), { force: true });
    }
    expect(readHfFolder(dir).dtype).toBe('q8');
  });

  it('refuses a dtype the folder has no file for, and an unknown one', () => {
    expect(() => readHfFolder(split.dir, { dtype: 'fp16' })).toThrow(
      /onnx\/model_fp16.onnx is missing: dtype fp16 was asked for \(this folder has fp32, q8\)/,
    );
    expect(() => readHfFolder(split.dir, { dtype: 'fp64' as 'fp16' })).toThrow(/unknown dtype "fp64"/);
  });
});

describe('split external data', () => {
  it('counts the chunks and generates what the inline model generates', async () => {
    const info = readHfFolder(split.dir);
    expect(info.externalDataChunks).toBe(split.files.fp32?.data.length);
    expect(info.externalDataChunks).toBeGreaterThan(1);
    expect(readHfFolder(inline.dir).externalDataChunks).toBe(0);
    const [a, b] = await Promise.all([load(split.dir), load(inline.dir)]);
    try {
      const params = { prompt: PROMPT, maxTokens: 12, temperature: 0.8, seed: 5 };
      expect(await a.generate(params)).toEqual(await b.generate(params));
    } finally {
      await Promise.all([a.dispose(), b.dispose()]);
    }
  });
});

describe('refused folders name the file and the reason', () => {
  it('a missing data chunk', () => {
    const dir = copyOf(split, 'no-chunk');
    rmSync(path.join(dir, 'onnx', 'model.onnx_data_1'));
    expect(() => readHfFolder(dir)).toThrow(
      /onnx\/model.onnx_data_1 is missing: model.onnx keeps weights there/,
    );
  });

  it('a truncated data chunk', () => {
    const dir = copyOf(split, 'short-chunk');
    truncateSync(path.join(dir, 'onnx', 'model.onnx_data'), 1000);
    expect(() => readHfFolder(dir)).toThrow(/onnx\/model.onnx_data is truncated: 1000 bytes/);
  });

  it('a truncated ONNX file', () => {
    const dir = copyOf(inline, 'short-onnx');
    const file = path.join(dir, 'onnx', 'model.onnx');
    truncateSync(file, Math.floor(readFileSync(file).length / 2));
    expect(() => readHfFolder(dir)).toThrow(
      /onnx\/model.onnx (ends inside a field|has no graph).*download it again/,
    );
  });

  it('a missing tokenizer.json', () => {
    const dir = copyOf(inline, 'no-tokenizer');
    rmSync(path.join(dir, 'tokenizer.json'));
    expect(() => readHfFolder(dir)).toThrow(
      /tokenizer.json is missing: the runner needs it to turn text into tokens/,
    );
  });

  it('a model type the runner cannot drive', () => {
    const dir = copyOf(inline, 'encoder');
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, model_type: 'bert' }));
    expect(() => readHfFolder(dir)).toThrow(
      /config.json: model_type "bert" is not a causal LM the runner can drive/,
    );
  });

  it('a generation_config.json with a value no job may set', () => {
    const dir = copyOf(inline, 'hot');
    writeFileSync(path.join(dir, 'generation_config.json'), JSON.stringify({ do_sample: true, top_p: 2 }));
    expect(() => readHfFolder(dir)).toThrow(/generation_config.json: top_p/);
  });
});

describe("generation_config.json's sampling defaults", () => {
  it('reads them as generate() would', () => {
    expect(samplingDefaults({ do_sample: true, temperature: 0.7, top_p: 0.8, top_k: 20 })).toEqual({
      temperature: 0.7,
      topP: 0.8,
      topK: 20,
    });
    expect(samplingDefaults({ do_sample: false, temperature: 0.7 })).toMatchObject({ temperature: 0 });
    expect(samplingDefaults({ do_sample: true })).toEqual({ temperature: 1, topP: 1, topK: 50 });
    expect(samplingDefaults({ eos_token_id: 2 })).toEqual(NETWORK_SAMPLING_DEFAULTS);
    expect(samplingDefaults(undefined)).toEqual(NETWORK_SAMPLING_DEFAULTS);
  });

  it("apply to a job that sets none, in generation and in the auditor's scoring alike", async () => {
    const sampling = JSON.parse(readFileSync(path.join(inline.dir, 'generation_config.json'), 'utf8'));
    expect(sampling).toMatchObject({ temperature: 0.7, top_p: 0.8, top_k: 20 });
    const lm = await load(inline.dir);
    try {
      const job = { prompt: PROMPT, maxTokens: 16, seed: 11 };
      const byDefault = await lm.generate(job);
      const explicit = await lm.generate({ ...job, temperature: 0.7, topP: 0.8, topK: 20 });
      const network = await lm.generate({ ...job, temperature: 0.7, topP: 0.9, topK: 0 });
      expect(byDefault).toEqual(explicit);
      expect(byDefault.text).not.toBe(network.text);
      const score = await lm.score({
        ...job,
        completion: byDefault.text,
        finishReason: byDefault.finishReason,
      });
      const scoreAsExplicit = await lm.score({
        ...job,
        temperature: 0.7,
        topP: 0.8,
        topK: 20,
        completion: byDefault.text,
        finishReason: byDefault.finishReason,
      });
      expect(score).toEqual(scoreAsExplicit);
    } finally {
      await lm.dispose();
    }
  });

  it('make a do_sample: false model greedy by default', async () => {
    const dir = (
      await writeTestDecoder(path.join(root, 'greedy'), { ...TINY_LLAMA, generation: { do_sample: false } })
    ).dir;
    const lm = await load(dir);
    try {
      const job = { prompt: PROMPT, maxTokens: 10, seed: 3 };
      expect(await lm.generate(job)).toEqual(await lm.generate({ ...job, temperature: 0 }));
    } finally {
      await lm.dispose();
    }
  });
});
