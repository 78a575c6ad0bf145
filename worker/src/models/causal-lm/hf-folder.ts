// Recognises a Hugging Face ONNX causal-LM folder and reads what the runner needs from it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** ONNX file name suffix → transformers.js dtype, most precise first. */
export const DTYPE_FILES: [string, string][] = [
  ['model.onnx', 'fp32'],
  ['model_fp16.onnx', 'fp16'],
  ['model_quantized.onnx', 'q8'],
  ['model_int8.onnx', 'int8'],
  ['model_uint8.onnx', 'uint8'],
  ['model_q4.onnx', 'q4'],
  ['model_q4f16.onnx', 'q4f16'],
  ['model_bnb4.onnx', 'bnb4'],
];

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

export interface HfFolderInfo {
  dir: string;
  modelType: string;
  dtype: string;
  externalData: boolean;
  contextLength: number;
  isInstruct: boolean;
  description?: string;
  demoGrade: boolean;
}

export const DEFAULT_CONTEXT_LENGTH = 2048;

export function isHfCausalLmFolder(dir: string): boolean {
  try {
    return (
      statSync(dir).isDirectory() &&
      ['config.json', 'tokenizer.json', 'tokenizer_config.json'].every((f) =>
        existsSync(path.join(dir, f)),
      ) &&
      DTYPE_FILES.some(([f]) => existsSync(path.join(dir, 'onnx', f)))
    );
  } catch {
    return false;
  }
}

export function readHfFolder(dir: string): HfFolderInfo {
  const abs = path.resolve(dir);
  if (!isHfCausalLmFolder(abs)) {
    throw new Error(
      `${abs} is not a Hugging Face ONNX causal-LM folder: it needs config.json, tokenizer.json, ` +
        'tokenizer_config.json and onnx/model.onnx (or a quantized variant such as onnx/model_quantized.onnx)',
    );
  }
  const readJson = (f: string) => JSON.parse(readFileSync(path.join(abs, f), 'utf8')) as unknown;
  const config = configSchema.parse(readJson('config.json'));
  const tokConfig = tokenizerConfigSchema.parse(readJson('tokenizer_config.json'));
  const [file, dtype] = DTYPE_FILES.find(([f]) => existsSync(path.join(abs, 'onnx', f)))!;
  const tokMax = tokConfig.model_max_length;
  const contextLength =
    config.max_position_embeddings ??
    config.n_positions ??
    config.n_ctx ??
    (tokMax && tokMax < 10_000_000 ? tokMax : undefined) ??
    DEFAULT_CONTEXT_LENGTH;
  const hasTemplateFile = existsSync(path.join(abs, 'chat_template.jinja'));
  return {
    dir: abs,
    modelType: config.model_type,
    dtype,
    externalData: existsSync(path.join(abs, 'onnx', `${file}_data`)),
    contextLength,
    isInstruct: Boolean(tokConfig.chat_template) || hasTemplateFile,
    description: config.cocoon?.description,
    demoGrade: config.cocoon?.demoGrade ?? false,
  };
}
