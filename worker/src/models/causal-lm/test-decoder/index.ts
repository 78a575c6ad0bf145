// Random-weight decoders in the exact Hugging Face Optimum / onnx-community layout, built by the project
// (no Python, no downloads), for tests and benches: Llama and Qwen2 families, byte-level BPE tokenizer,
// chat template, fp32, q8 and q4 files, inline / external / split external data. Deterministic by seed.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildDecoderGraph, type DecoderShape, headDim, type WeightFormat } from './graph';
import {
  type Family,
  type FamilyIds,
  familyIds,
  type TokenizerLayout,
  tokenizerConfig,
  tokenizerJson,
  tokenizerLayout,
} from './hf-files';

export type { Family } from './hf-files';
export { LLAMA3_CHAT_TEMPLATE, QWEN2_CHAT_TEMPLATE, SPECIALS } from './hf-files';

/** The ONNX files a test decoder can carry, by transformers.js dtype. */
export type TestDecoderDtype = WeightFormat;
export const DTYPE_FILE: Record<TestDecoderDtype, string> = {
  fp32: 'model.onnx',
  q8: 'model_quantized.onnx',
  q4: 'model_q4.onnx',
};

export interface TestDecoderSpec {
  family: Family;
  hiddenSize: number;
  layers: number;
  heads: number;
  /** Fewer than `heads` for grouped-query attention. */
  kvHeads: number;
  intermediateSize: number;
  seed: number;
  /** BPE merges learnt from the built-in corpus (it runs out near 5,000). Default 1,000. */
  merges?: number;
  /** Embedding rows; default the tokenizer's size. Larger pads the vocabulary with unused filler tokens. */
  vocabSize?: number;
  /** Default: Qwen2 true, Llama false. */
  tied?: boolean;
  /** A chat template and the instruct end-of-turn token. Default true. */
  instruct?: boolean;
  maxPositionEmbeddings?: number;
  ropeTheta?: number;
  rmsNormEps?: number;
  /** Standard deviation of the random init. Default 0.02 (Hugging Face's initializer_range). */
  initStd?: number;
  /**
   * ONNX files to write. Default ['fp32']. q8: onnxruntime's dynamic quantization (MatMulInteger, activations
   * quantized per call, so a batch can change a row's logits); q4: weight-only MatMulNBits, batch-invariant.
   */
  dtypes?: TestDecoderDtype[];
  /** Weights in `model*.onnx_data` (true), or split into chunks of at most chunkBytes (`_data_1`, …). */
  externalData?: boolean | { chunkBytes: number };
  /** Overrides for generation_config.json (e.g. temperature, top_p, repetition_penalty). */
  generation?: Record<string, unknown>;
}

export interface TestDecoderInfo {
  dir: string;
  spec: TestDecoderSpec;
  family: Family;
  vocabSize: number;
  /** Ids below this come from BPE merges; fillers and special tokens follow. */
  bpeSize: number;
  special: Record<string, number>;
  ids: FamilyIds;
  headDim: number;
  parameters: number;
  /** Per dtype, the ONNX file and its external data files (relative to `onnx/`). */
  files: Partial<Record<TestDecoderDtype, { model: string; data: string[] }>>;
}

/** A tiny Qwen2 (GQA 4:2, q/k/v bias, tied head) that builds in well under a second. */
export const TINY_QWEN2: TestDecoderSpec = {
  family: 'qwen2',
  hiddenSize: 64,
  layers: 2,
  heads: 4,
  kvHeads: 2,
  intermediateSize: 128,
  seed: 1,
  merges: 1000,
  maxPositionEmbeddings: 512,
  initStd: 0.1,
};

/** A tiny Llama (GQA 4:1, untied head, Llama 3 tokens and template). */
export const TINY_LLAMA: TestDecoderSpec = {
  family: 'llama',
  hiddenSize: 64,
  layers: 2,
  heads: 4,
  kvHeads: 1,
  intermediateSize: 160,
  seed: 2,
  merges: 1000,
  maxPositionEmbeddings: 512,
  initStd: 0.1,
};

/** Qwen2.5-0.5B's shape (494 M parameters, ~2 GB fp32): external data in 1 GB chunks; fp32, q8 and q4. */
export const QWEN2_5_0_5B_SHAPE: TestDecoderSpec = {
  family: 'qwen2',
  hiddenSize: 896,
  layers: 24,
  heads: 14,
  kvHeads: 2,
  intermediateSize: 4864,
  vocabSize: 151_936,
  seed: 5,
  merges: 8000,
  maxPositionEmbeddings: 32_768,
  dtypes: ['fp32', 'q8', 'q4'],
  externalData: { chunkBytes: 1 << 30 },
};

function shapeOf(spec: TestDecoderSpec, vocabSize: number): DecoderShape {
  if (spec.heads % spec.kvHeads !== 0) throw new Error('heads must be a multiple of kvHeads');
  if (spec.hiddenSize % spec.heads !== 0 || (spec.hiddenSize / spec.heads) % 2 !== 0) {
    throw new Error('hiddenSize / heads must be an even head dimension');
  }
  const qwen = spec.family === 'qwen2';
  return {
    hiddenSize: spec.hiddenSize,
    layers: spec.layers,
    heads: spec.heads,
    kvHeads: spec.kvHeads,
    intermediateSize: spec.intermediateSize,
    vocabSize,
    ropeTheta: spec.ropeTheta ?? (qwen ? 1_000_000 : 500_000),
    rmsNormEps: spec.rmsNormEps ?? (qwen ? 1e-6 : 1e-5),
    qkvBias: qwen,
    tied: spec.tied ?? qwen,
    seed: spec.seed,
    initStd: spec.initStd ?? 0.02,
  };
}

export function parameterCount(s: DecoderShape): number {
  const D = headDim(s);
  const kv = s.kvHeads * D;
  const attn =
    s.hiddenSize * (s.hiddenSize + 2 * kv) +
    s.hiddenSize * s.hiddenSize +
    (s.qkvBias ? s.hiddenSize + 2 * kv : 0);
  const layer = attn + 3 * s.hiddenSize * s.intermediateSize + 2 * s.hiddenSize;
  return s.vocabSize * s.hiddenSize * (s.tied ? 1 : 2) + s.layers * layer + s.hiddenSize;
}

function configJson(
  spec: TestDecoderSpec,
  s: DecoderShape,
  ids: FamilyIds,
  externalChunks: Record<string, number>,
) {
  const qwen = spec.family === 'qwen2';
  const common = {
    architectures: [qwen ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'],
    attention_dropout: 0,
    bos_token_id: ids.bos,
    eos_token_id: qwen ? ids.eos[0] : ids.eos.length === 1 ? ids.eos[0] : ids.eos,
    hidden_act: 'silu',
    hidden_size: s.hiddenSize,
    initializer_range: s.initStd,
    intermediate_size: s.intermediateSize,
    max_position_embeddings: spec.maxPositionEmbeddings ?? 2048,
    model_type: spec.family,
    num_attention_heads: s.heads,
    num_hidden_layers: s.layers,
    num_key_value_heads: s.kvHeads,
    rms_norm_eps: s.rmsNormEps,
    rope_scaling: null,
    rope_theta: s.ropeTheta,
    tie_word_embeddings: s.tied,
    torch_dtype: 'float32',
    transformers_version: '4.46.0',
    use_cache: true,
    vocab_size: s.vocabSize,
  };
  const family = qwen
    ? { max_window_layers: s.layers, sliding_window: null, use_sliding_window: false }
    : { attention_bias: false, head_dim: headDim(s), mlp_bias: false, pretraining_tp: 1 };
  const tjs = Object.keys(externalChunks).length
    ? { 'transformers.js_config': { use_external_data_format: externalChunks } }
    : {};
  return { ...common, ...family, ...tjs, cocoon: { testDecoder: true, seed: spec.seed } };
}

function generationConfig(spec: TestDecoderSpec, ids: FamilyIds): Record<string, unknown> {
  const instruct = spec.instruct ?? true;
  const sampling =
    spec.family === 'qwen2'
      ? { do_sample: true, repetition_penalty: 1.05, temperature: 0.7, top_k: 20, top_p: 0.8 }
      : { do_sample: true, temperature: 0.6, top_p: 0.9 };
  return {
    bos_token_id: ids.bos,
    eos_token_id: ids.eos.length === 1 ? ids.eos[0] : ids.eos,
    pad_token_id: ids.pad,
    ...(instruct ? sampling : { do_sample: false }),
    transformers_version: '4.46.0',
    ...spec.generation,
  };
}

/**
 * Writes the model folder `dir` (replacing it atomically): config.json, generation_config.json,
 * tokenizer.json, tokenizer_config.json and onnx/model*.onnx (+ _data chunks). Weights stream to disk one
 * tensor at a time, so a 2 GB model needs memory for its largest tensor only.
 */
export async function writeTestDecoder(dir: string, spec: TestDecoderSpec): Promise<TestDecoderInfo> {
  return writeFolder(dir, spec, true);
}

/** `replace` false: when `dir` appears meanwhile (another process built it), keep that one. */
async function writeFolder(dir: string, spec: TestDecoderSpec, replace: boolean): Promise<TestDecoderInfo> {
  const instruct = spec.instruct ?? true;
  const context = spec.maxPositionEmbeddings ?? 2048;
  const layout: TokenizerLayout = tokenizerLayout(spec.family, spec.merges ?? 1000, spec.vocabSize);
  const shape = shapeOf(spec, layout.vocab.length);
  const ids = familyIds(spec.family, layout, instruct);
  const tmp = `${dir}.tmp-${process.pid}-${randomUUID()}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(path.join(tmp, 'onnx'), { recursive: true });
  const files: TestDecoderInfo['files'] = {};
  const chunksByFile: Record<string, number> = {};
  try {
    for (const dtype of spec.dtypes ?? ['fp32']) {
      const model = DTYPE_FILE[dtype];
      const ext = spec.externalData;
      const data = await buildDecoderGraph(shape, dtype).writeModel(path.join(tmp, 'onnx', model), {
        opset: 17,
        extraOpsets: dtype === 'q4' ? { 'com.microsoft': 1 } : undefined,
        externalData: ext ? { chunkBytes: typeof ext === 'object' ? ext.chunkBytes : undefined } : undefined,
      });
      files[dtype] = { model, data };
      if (data.length) chunksByFile[model] = data.length;
    }
    const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
    await writeFile(path.join(tmp, 'config.json'), json(configJson(spec, shape, ids, chunksByFile)));
    await writeFile(path.join(tmp, 'generation_config.json'), json(generationConfig(spec, ids)));
    await writeFile(path.join(tmp, 'tokenizer.json'), JSON.stringify(tokenizerJson(spec.family, layout)));
    await writeFile(
      path.join(tmp, 'tokenizer_config.json'),
      json(tokenizerConfig(spec.family, layout, instruct, context)),
    );
    if (replace) await rm(dir, { recursive: true, force: true });
    await mkdir(path.dirname(dir), { recursive: true });
    try {
      await rename(tmp, dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (replace || (code !== 'ENOTEMPTY' && code !== 'EEXIST')) throw err;
      await rm(tmp, { recursive: true, force: true }); // built by someone else meanwhile: same bytes
    }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    spec,
    family: spec.family,
    vocabSize: shape.vocabSize,
    bpeSize: layout.bpeSize,
    special: layout.special,
    ids,
    headDim: headDim(shape),
    parameters: parameterCount(shape),
    files,
  };
}

/** Bump when the builder's output changes for the same spec, so cached folders are rebuilt. */
export const TEST_DECODER_VERSION = 1;

/** Where cached test decoders live: COCOON_TEST_MODELS_DIR, else the OS temp folder. */
export function testModelsDir(): string {
  return process.env.COCOON_TEST_MODELS_DIR ?? path.join(tmpdir(), 'cocoon-test-models');
}

/** The cache folder for a spec: its family and a digest of spec + builder version. */
export function testDecoderCachePath(spec: TestDecoderSpec, root = testModelsDir()): string {
  const digest = createHash('sha256')
    .update(JSON.stringify({ v: TEST_DECODER_VERSION, spec }))
    .digest('hex')
    .slice(0, 16);
  return path.join(root, `${spec.family}-${spec.hiddenSize}x${spec.layers}-${digest}`);
}

/**
 * The folder of a test decoder built once and cached by digest (e.g. the 0.5B-shaped one for the bench):
 * built on the first call, reused after. A crashed build leaves only a temp folder, never a half model.
 */
export async function ensureTestDecoder(spec: TestDecoderSpec, root = testModelsDir()): Promise<string> {
  const dir = testDecoderCachePath(spec, root);
  if (existsSync(path.join(dir, 'config.json'))) return dir;
  await writeFolder(dir, spec, false);
  return dir;
}
