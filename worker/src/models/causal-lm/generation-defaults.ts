// The sampling a job gets when it sets none: the model's own generation_config.json (do_sample,
// temperature, top_p, top_k, as Hugging Face's generate() reads them), else the network's defaults. The
// generating rig and its auditors both take them from the pinned folder, so they replay the same draw.
import { z } from 'zod';
import { SAMPLER_MAX_TEMPERATURE, SAMPLER_MAX_TOP_K } from './sampler';

export interface SamplingDefaults {
  temperature: number;
  topP: number;
  topK: number;
}

/** For models whose generation_config says nothing about sampling. */
export const NETWORK_SAMPLING_DEFAULTS: SamplingDefaults = { temperature: 0.7, topP: 0.9, topK: 0 };

/** Hugging Face's GenerationConfig defaults, for the fields a sampling config leaves out. */
const HF_SAMPLING = { temperature: 1, top_p: 1, top_k: 50 };

const generationSchema = z
  .object({
    do_sample: z.boolean().optional(),
    temperature: z.number().min(0).max(SAMPLER_MAX_TEMPERATURE).nullish(),
    top_p: z.number().gt(0).max(1).nullish(),
    top_k: z.number().int().min(0).max(SAMPLER_MAX_TOP_K).nullish(),
  })
  .passthrough();

/**
 * The defaults a generation_config asks for: greedy when do_sample is false (as generate() does),
 * its temperature / top_p / top_k when it samples (Hugging Face's values for fields it leaves out), and the
 * network's defaults when it says nothing about sampling. Throws on a value outside what a job may set.
 */
export function samplingDefaults(generationConfig: unknown): SamplingDefaults {
  if (generationConfig === undefined) return NETWORK_SAMPLING_DEFAULTS;
  const r = generationSchema.safeParse(generationConfig);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`${issue.path.join('.')} ${issue.message}`);
  }
  const g = r.data;
  if (g.do_sample === false) return { ...NETWORK_SAMPLING_DEFAULTS, temperature: 0 };
  const says = g.do_sample === true || g.temperature != null || g.top_p != null || g.top_k != null;
  if (!says) return NETWORK_SAMPLING_DEFAULTS;
  return {
    temperature: g.temperature ?? HF_SAMPLING.temperature,
    topP: g.top_p ?? HF_SAMPLING.top_p,
    topK: g.top_k ?? HF_SAMPLING.top_k,
  };
}

/** A job's sampling parameters with the model's defaults filled in where the job set none. */
export function withSamplingDefaults<T extends { temperature?: number; topP?: number; topK?: number }>(
  params: T,
  defaults: SamplingDefaults,
): T & SamplingDefaults {
  return {
    ...params,
    temperature: params.temperature ?? defaults.temperature,
    topP: params.topP ?? defaults.topP,
    topK: params.topK ?? defaults.topK,
  };
}
