// The baseline the engine and worker benches compare our runner with: transformers.js's own greedy
// generate() on the same model folder, loaded from disk only.
import path from 'node:path';
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  type PreTrainedModel,
  type Tensor,
} from '@huggingface/transformers';

export interface TransformersBaseline {
  /**
   * Greedy generate() of exactly `maxTokens` new tokens (no early stop is asked for); returns how many it
   * made. `decode`: also decode them to text, as the worker's answer is (the worker bench counts that work).
   */
  generate(prompt: string, maxTokens: number, opts?: { decode?: boolean }): Promise<number>;
  dispose(): Promise<unknown>;
}

/** Loads the ONNX causal LM in `dir` with transformers.js in fp32 on `device`, with no download allowed. */
export async function loadTransformersBaseline(
  dir: string,
  device: 'cpu' | 'cuda',
): Promise<TransformersBaseline> {
  env.allowRemoteModels = false;
  env.localModelPath = `${path.dirname(dir)}${path.sep}`;
  const id = path.basename(dir);
  const tokenizer = await AutoTokenizer.from_pretrained(id);
  const model = (await AutoModelForCausalLM.from_pretrained(id, {
    device,
    dtype: 'fp32',
  })) as PreTrainedModel;
  return {
    async generate(prompt, maxTokens, opts = {}) {
      const inputs = tokenizer(prompt);
      const out = (await model.generate({
        ...inputs,
        max_new_tokens: maxTokens,
        do_sample: false,
      })) as Tensor;
      const promptLength = inputs.input_ids.dims.at(-1) as number;
      if (opts.decode)
        tokenizer.decode((out.tolist() as bigint[][])[0].slice(promptLength), { skip_special_tokens: true });
      return (out.dims.at(-1) as number) - promptLength;
    },
    dispose: () => model.dispose(),
  };
}
