// Recognises a Hugging Face ONNX causal-LM folder, checks that the runner can serve it (refusing it with the
// file and the reason otherwise), and reads what the runner needs: which ONNX file (dtype) to load, its
// external data chunks, the context length, and the model's own sampling defaults.

import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { AutoModelForCausalLM } from '@huggingface/transformers';
import { z } from 'zod';
import type { Provider } from '../../engine/ort-session';
import { DTYPE_FILES, DTYPE_PREFERENCE, DTYPES, type Dtype, dtypeSchema } from './dtypes';
import { type SamplingDefaults, samplingDefaults } from './generation-defaults';
import { OnnxFileError, scanOnnxFile } from './onnx-scan';

export { DTYPE_FILES, DTYPE_PREFERENCE, DTYPES, type Dtype, dtypeSchema } from './dtypes';

const configSchema = z
  .object({
    model_type: z.string(),
    n_positions: z.number().int().positive().optional(),
    max_position_embeddings: z.number().int().positive().optional(),
    n_ctx: z.number().int().positive().optional(),
    cocoon: z.object({ description: z.string().optional(), demoGrade: z.boolean().optional() }).optional(),
  })
  .passthrough();

const tokenizerConfigSchema = z
  .object({ chat_template: z.unknown().optional(), model_max_length: z.number().optional() })
  .passthrough();

/** A folder the runner can't serve; the message names the file and the reason. */
export class ModelFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFolderError';
  }
}

export interface HfFolderInfo {
  dir: string;
  modelType: string;
  /** The dtypes this folder has files for, in DTYPES order. */
  dtypes: Dtype[];
  /** The dtype asked for, or the best one for the CPU. */
  dtype: Dtype;
  externalData: boolean;
  /** External data files of that dtype's ONNX file (model.onnx_data, model.onnx_data_1, …). */
  externalDataChunks: number;
  contextLength: number;
  isInstruct: boolean;
  description?: string;
  demoGrade: boolean;
  /** Sampling parameters a job that sets none gets (generation_config.json, else the network's). */
  sampling: SamplingDefaults;
}

export const DEFAULT_CONTEXT_LENGTH = 2048;
const REQUIRED = ['config.json', 'tokenizer.json', 'tokenizer_config.json'] as const;

const availableDtypes = (dir: string): Dtype[] =>
  DTYPES.filter((d) => existsSync(path.join(dir, 'onnx', DTYPE_FILES[d])));

/** Every file the layout needs is there (whether the runner can serve it is readHfFolder's to say). */
export function isHfCausalLmFolder(dir: string): boolean {
  try {
    return (
      statSync(dir).isDirectory() &&
      REQUIRED.every((f) => existsSync(path.join(dir, f))) &&
      availableDtypes(dir).length > 0
    );
  } catch {
    return false;
  }
}

/** A folder someone meant as a model (a config.json or an onnx/ folder): refused loudly, not skipped. */
export function looksLikeModelFolder(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && ['config.json', 'onnx'].some((f) => existsSync(path.join(dir, f)));
  } catch {
    return false;
  }
}

function readJson(dir: string, file: string): unknown {
  try {
    return JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as unknown;
  } catch (err) {
    throw new ModelFolderError(`${path.join(dir, file)} is not valid JSON: ${(err as Error).message}`);
  }
}

function parseFile<T>(dir: string, file: string, schema: z.ZodType<T>): T {
  const r = schema.safeParse(readJson(dir, file));
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new ModelFolderError(`${path.join(dir, file)}: ${issue.path.join('.') || 'value'} ${issue.message}`);
}

/** The model types transformers.js's AutoModelForCausalLM can drive (what the runner loads through). */
export function supportedModelTypes(): ReadonlySet<string> {
  const mappings = (AutoModelForCausalLM as unknown as { MODEL_CLASS_MAPPINGS: Map<string, unknown>[] })
    .MODEL_CLASS_MAPPINGS;
  return new Set(mappings.flatMap((m) => [...m.keys()]));
}

export interface ReadHfFolderOptions {
  /** The dtype to serve; refused when the folder has no file for it. Default: the best for `provider`. */
  dtype?: Dtype;
  provider?: Provider;
}

export function readHfFolder(dir: string, opts: ReadHfFolderOptions = {}): HfFolderInfo {
  const abs = path.resolve(dir);
  if (!looksLikeModelFolder(abs)) {
    throw new ModelFolderError(
      `${abs} is not a Hugging Face ONNX causal-LM folder: it needs config.json, tokenizer.json, ` +
        'tokenizer_config.json and onnx/model.onnx (or a quantized variant such as onnx/model_quantized.onnx)',
    );
  }
  for (const f of REQUIRED) {
    if (!existsSync(path.join(abs, f))) {
      throw new ModelFolderError(`${path.join(abs, f)} is missing: the runner needs it to ${NEEDS[f]}`);
    }
  }
  const config = parseFile(abs, 'config.json', configSchema);
  if (!supportedModelTypes().has(config.model_type)) {
    throw new ModelFolderError(
      `${path.join(abs, 'config.json')}: model_type "${config.model_type}" is not a causal LM the runner ` +
        "can drive (transformers.js's AutoModelForCausalLM has no class for it)",
    );
  }
  const tokConfig = parseFile(abs, 'tokenizer_config.json', tokenizerConfigSchema);
  const dtypes = availableDtypes(abs);
  if (dtypes.length === 0) {
    throw new ModelFolderError(
      `${path.join(abs, 'onnx')} has no model file: expected one of ${Object.values(DTYPE_FILES).join(', ')}`,
    );
  }
  const dtype = chooseDtype(abs, dtypes, opts.dtype, opts.provider ?? 'cpu');
  const generation = existsSync(path.join(abs, 'generation_config.json'))
    ? readJson(abs, 'generation_config.json')
    : undefined;
  let sampling: SamplingDefaults;
  try {
    sampling = samplingDefaults(generation);
  } catch (err) {
    throw new ModelFolderError(`${path.join(abs, 'generation_config.json')}: ${(err as Error).message}`);
  }
  const tokMax = tokConfig.model_max_length;
  const contextLength =
    config.max_position_embeddings ??
    config.n_positions ??
    config.n_ctx ??
    (tokMax && tokMax < 10_000_000 ? tokMax : undefined) ??
    DEFAULT_CONTEXT_LENGTH;
  const chunks = checkModelFile(abs, dtype);
  return {
    dir: abs,
    modelType: config.model_type,
    dtypes,
    dtype,
    externalData: chunks > 0,
    externalDataChunks: chunks,
    contextLength,
    isInstruct: Boolean(tokConfig.chat_template) || existsSync(path.join(abs, 'chat_template.jinja')),
    description: config.cocoon?.description,
    demoGrade: config.cocoon?.demoGrade ?? false,
    sampling,
  };
}

const NEEDS: Record<(typeof REQUIRED)[number], string> = {
  'config.json': 'know the model type and its context length',
  'tokenizer.json': 'turn text into tokens and back',
  'tokenizer_config.json': 'know the special tokens and the chat template',
};

/** The dtype to serve: the one asked for (it must have a file), else the best the device prefers. */
export function chooseDtype(dir: string, have: Dtype[], asked: Dtype | undefined, provider: Provider): Dtype {
  if (asked !== undefined) {
    if (!dtypeSchema.safeParse(asked).success) {
      throw new ModelFolderError(`unknown dtype "${asked}": use one of ${DTYPES.join(', ')}`);
    }
    if (!have.includes(asked)) {
      throw new ModelFolderError(
        `${path.join(dir, 'onnx', DTYPE_FILES[asked])} is missing: dtype ${asked} was asked for ` +
          `(this folder has ${have.join(', ')})`,
      );
    }
    return asked;
  }
  return DTYPE_PREFERENCE[provider].find((d) => have.includes(d)) as Dtype;
}

/**
 * Checks the dtype's ONNX file is whole and every external data file it reads from is there with the bytes
 * it reads; returns how many data files it has, named as transformers.js expects (`<file>_data`, `_data_1`, …).
 */
export function checkModelFile(dir: string, dtype: Dtype): number {
  const file = DTYPE_FILES[dtype];
  const onnxDir = path.join(dir, 'onnx');
  let external: Map<string, number>;
  try {
    external = scanOnnxFile(path.join(onnxDir, file)).external;
  } catch (err) {
    if (!(err instanceof OnnxFileError)) throw err;
    throw new ModelFolderError(`${path.join(onnxDir, file)} ${err.message}: download it again`);
  }
  for (const [location, needed] of external) {
    const data = path.join(onnxDir, location);
    let size: number;
    try {
      size = statSync(data).size;
    } catch {
      throw new ModelFolderError(`${data} is missing: ${file} keeps weights there (download it too)`);
    }
    if (size < needed) {
      throw new ModelFolderError(
        `${data} is truncated: ${size} bytes, ${file} reads up to byte ${needed} (download it again)`,
      );
    }
  }
  const expected = Array.from({ length: external.size }, (_, i) => `${file}_data${i === 0 ? '' : `_${i}`}`);
  if (external.size > 0 && !expected.every((n) => external.has(n))) {
    // Other names than transformers.js's: onnxruntime still reads them, from the model's own references.
    return 0;
  }
  return external.size;
}
