// Sampled tokens need not be the tokenizer's canonical split of their own text: re-encoding the decoded
// output can give other ids (issue #27 item 2). This finds such runs on a test decoder, with the exact ids
// the runner's seeded sampler draws, so a test can check that scoring uses the claimed ids, not re-encoding.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { decodingRules, drawToken, type SamplingParams } from '../sampler';
import { decodeWithCache, openDecoderSession } from './ort-decoder';

export async function loadTestTokenizer(dir: string): Promise<PreTrainedTokenizer> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${path.dirname(path.resolve(dir))}${path.sep}`;
  return (await AutoTokenizer.from_pretrained(path.basename(dir), {
    local_files_only: true,
  })) as PreTrainedTokenizer;
}

export interface SeededRun {
  promptIds: number[];
  /** The completion's token ids, as the runner's seeded sampler draws them (end-of-sequence included). */
  ids: number[];
  /** decode(ids) without special tokens: the text the runner returns (no stop sequences). */
  text: string;
  /** encode(text): what re-encoding the text gives. */
  reencoded: number[];
}

/**
 * The ids and text of a seeded generation, as `loadCausalLM(dir).generate({ prompt, maxTokens, ...params })`
 * produces them (same sampler, same generation_config rules, same end-of-sequence ids), from a bare
 * onnxruntime loop over onnx/model.onnx.
 */
export async function seededRun(
  dir: string,
  prompt: string,
  params: SamplingParams,
  maxTokens: number,
): Promise<SeededRun> {
  const tokenizer = await loadTestTokenizer(dir);
  const generation = JSON.parse(readFileSync(path.join(dir, 'generation_config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const eos = [generation.eos_token_id].flat().filter((x): x is number => typeof x === 'number');
  const rules = decodingRules(generation, eos);
  const promptIds = tokenizer.encode(prompt);
  const d = await openDecoderSession(dir);
  try {
    const steps = await decodeWithCache(
      d,
      promptIds,
      maxTokens,
      (logits, history) =>
        drawToken({ logits, history, position: history.length - promptIds.length }, params, rules),
      eos,
    );
    const ids = steps.map((s) => s.token);
    const text = tokenizer.decode(ids, { skip_special_tokens: true });
    const reencoded = text ? tokenizer.encode(text, { add_special_tokens: false }) : [];
    return { promptIds, ids, text, reencoded };
  } finally {
    await d.dispose();
  }
}

/** The completion ids without a trailing end-of-sequence token, which decoding drops. */
export function visibleIds(run: SeededRun, eosIds: readonly number[]): number[] {
  return run.ids.length && eosIds.includes(run.ids.at(-1) as number) ? run.ids.slice(0, -1) : run.ids;
}

/** Whether re-encoding the run's text gives other ids than the sampler drew. */
export function reencodesDifferently(run: SeededRun, eosIds: readonly number[]): boolean {
  const ids = visibleIds(run, eosIds);
  return ids.length !== run.reencoded.length || ids.some((t, i) => t !== run.reencoded[i]);
}

/**
 * A known case on TINY_QWEN2: this prompt and seed give text whose re-encoding differs from the drawn ids
 * (checked by test-decoder.test.ts). Pass `params` explicitly: defaults may change.
 */
export const NON_CANONICAL_CASE = {
  prompt: 'The quick brown fox',
  maxTokens: 24,
  params: { temperature: 0.9, topP: 1, topK: 0, seed: 1 } satisfies SamplingParams,
};
