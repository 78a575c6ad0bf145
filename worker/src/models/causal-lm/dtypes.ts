// The ONNX files a Hugging Face export may carry, by transformers.js dtype, and which one a device prefers.
// No heavy imports: the CLI's flag parser reads it.
import { z } from 'zod';
import type { Provider } from '../../engine/ort-session';

/** transformers.js dtypes and their files under onnx/ (its DEFAULT_DTYPE_SUFFIX_MAPPING). */
export const DTYPE_FILES = {
  fp32: 'model.onnx',
  fp16: 'model_fp16.onnx',
  q8: 'model_quantized.onnx',
  int8: 'model_int8.onnx',
  uint8: 'model_uint8.onnx',
  q4: 'model_q4.onnx',
  q4f16: 'model_q4f16.onnx',
  bnb4: 'model_bnb4.onnx',
} as const;
export type Dtype = keyof typeof DTYPE_FILES;
export const DTYPES = Object.keys(DTYPE_FILES) as Dtype[];
export const dtypeSchema = z.enum(DTYPES as [Dtype, ...Dtype[]]);

/**
 * The file taken when none is asked for, best first. CPU: fp32 (exact, and onnxruntime's CPU kernels are
 * fastest in float32 for small models), else 8-bit, else 4-bit; fp16 last (CPU has few fp16 kernels).
 * CUDA: half precision first (half the memory traffic per token), then 4-bit with fp16, then the rest.
 */
export const DTYPE_PREFERENCE: Record<Provider, Dtype[]> = {
  cpu: ['fp32', 'q8', 'int8', 'uint8', 'q4', 'bnb4', 'fp16', 'q4f16'],
  cuda: ['fp16', 'q4f16', 'fp32', 'q8', 'int8', 'uint8', 'q4', 'bnb4'],
};
