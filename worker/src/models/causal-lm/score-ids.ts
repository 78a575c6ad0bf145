// Scores a claimed output by its token ids (result v2): the ids the rig committed to are the truth, never a
// re-encoding of the text, because a sampled byte-level BPE split need not be the tokenizer's canonical one
// (" Engine" "mp" re-encodes as " Eng" "in" "em" "p"). The seeded sampler is replayed at every id against one
// forward pass over prompt + ids; the ids must end the way generation ends (at the first end-of-sequence
// token, right where a stop sequence first appears, or at the token limit), and the text returned is their
// decoding as generation produces it, for the auditor to compare with the claimed text.
import { MAX_RESULT_TOKEN_IDS } from '@cocoon/shared';
import { z } from 'zod';
import { generateInputSchema } from '../input';
import { PromptTooLongError, type ScoreResult } from './runner';
import { type DecodingRules, judgePosition, samplingSchema } from './sampler';
import { firstStopIndex } from './stream-text';

export const scoreIdsParamsSchema = samplingSchema.extend({
  prompt: generateInputSchema.shape.prompt,
  /** Every id the rig says the model generated, the end-of-sequence token and a stop's tokens included. */
  tokenIds: z.array(z.number().int().min(0)).max(MAX_RESULT_TOKEN_IDS),
  finishReason: z.enum(['stop', 'length']).default('stop'),
  maxTokens: generateInputSchema.shape.maxTokens,
  stop: generateInputSchema.shape.stop,
});
export type ScoreIdsParams = z.input<typeof scoreIdsParamsSchema>;

export interface IdsScore extends ScoreResult {
  /** The ids decoded as generation returns them: special tokens skipped, cut at the first stop sequence. */
  text: string;
  /** Why the ids can't be an output of this model at all (nothing was judged then), in words. */
  problem?: string;
}

/** What scoring by ids needs from a loaded model. */
export interface IdsScorer {
  encode(text: string): number[];
  /** The runner's own decode (skip special tokens). */
  decode(ids: number[]): string;
  eosIds: ReadonlySet<number>;
  /** The model's vocabulary size (config.json), when it says one: ids past it are refused before a pass. */
  vocabSize?: number;
  contextLength: number;
  rules: DecodingRules;
  /**
   * One forward pass over `ids`, handing over the logits chunk by chunk (positions start … start + count - 1,
   * [count × vocab]), so a long claim never holds every position's logits at once (152k × 2,000 floats is
   * 1.2 GB on Qwen's vocabulary).
   */
  forEachLogits(
    ids: number[],
    onLogits: (start: number, logits: Float32Array, count: number) => void,
  ): Promise<void>;
}

export async function scoreIds(m: IdsScorer, params: ScoreIdsParams): Promise<IdsScore> {
  const p = scoreIdsParamsSchema.parse(params);
  const promptIds = m.encode(p.prompt);
  if (promptIds.length === 0) throw new Error('prompt is empty after tokenization');
  if (promptIds.length >= m.contextLength) throw new PromptTooLongError(promptIds.length, m.contextLength);
  const ids = p.tokenIds;
  const maxNew = Math.min(p.maxTokens, m.contextLength - promptIds.length);
  const refuse = (problem: string): IdsScore => ({
    promptTokens: promptIds.length,
    completionTokens: ids.length,
    positions: Math.max(1, ids.length),
    agreeing: 0,
    agreement: 0,
    endAgrees: false,
    text: '',
    problem,
  });
  const shapeProblem = idsShapeProblem(m, ids, maxNew);
  if (shapeProblem) return refuse(shapeProblem);

  const stops = p.stop ?? [];
  const full = m.decode(ids);
  const cut = firstStopIndex(full, stops);
  const text = cut >= 0 ? full.slice(0, cut) : full;
  // Generation checks the text at every token and stops at the first one that completes a stop sequence.
  if (cut >= 0 && firstStopIndex(m.decode(ids.slice(0, -1)), stops) >= 0)
    return refuse('the ids run on past a stop sequence');
  const ended = cut >= 0 || m.eosIds.has(ids[ids.length - 1]);
  // As generation reports it: 'stop' at an end-of-sequence token or a stop sequence, 'length' at the limit.
  const endAgrees = p.finishReason === 'stop' ? ended : !ended && ids.length === maxNew;

  const all = [...promptIds, ...ids];
  const history = Int32Array.from(all);
  let agreeing = 0;
  let invisibleMisses = 0;
  // The logits at position t are for token t + 1: id i is judged at promptIds.length - 1 + i.
  await m.forEachLogits(all, (start, logits, count) => {
    const vocab = logits.length / count;
    for (let t = start; t < start + count; t++) {
      const i = t - (promptIds.length - 1);
      if (i < 0 || i >= ids.length) continue;
      const step = {
        logits: logits.subarray((t - start) * vocab, (t - start + 1) * vocab),
        history: history.subarray(0, promptIds.length + i),
        position: i,
      };
      if (judgePosition(step, ids[i], p, m.rules)) agreeing++;
      else if (!m.eosIds.has(ids[i]) && m.decode([ids[i]]) === '') invisibleMisses++;
    }
  });
  // The agreement threshold leaves room for float noise, and a rig could use that room to bill tokens no
  // one sees: a special token (decoded to nothing) slipped in every ~50 positions. Noise only flips a draw
  // between near-tied tokens; an invisible one the sampler didn't draw is a claim, not noise.
  if (invisibleMisses > 0)
    return refuse(`${invisibleMisses} token id(s) that decode to no text where the sampler draws another`);
  return {
    promptTokens: promptIds.length,
    completionTokens: ids.length,
    positions: ids.length,
    agreeing,
    agreement: agreeing / ids.length,
    endAgrees,
    text,
  };
}

/** Ids no generation of this model can give: none, past the limit, past the vocabulary, on past the end. */
function idsShapeProblem(m: IdsScorer, ids: number[], maxNew: number): string | null {
  if (ids.length === 0) return 'no token ids (generation gives at least one)';
  if (ids.length > maxNew)
    return `${ids.length} token ids, more than the ${maxNew} this job lets the model generate`;
  const vocab = m.vocabSize;
  if (vocab !== undefined && ids.some((t) => t >= vocab))
    return `a token id past the model's vocabulary of ${vocab}`;
  // Generation ends at the first end-of-sequence token: only the last id may be one.
  if (ids.slice(0, -1).some((t) => m.eosIds.has(t))) return 'the ids run on past an end-of-sequence token';
  return null;
}
