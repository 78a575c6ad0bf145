// The network's own token sampler, so a sampled output can be reproduced and checked by another rig.
// transformers.js samples from one process-wide random generator; here every draw is a pure function of the
// job's seed and the token's position, and every step that shapes the distribution (the model's decoding
// rules, temperature, top-k, top-p) is plain float64 code in a fixed order. The same model, prompt,
// parameters and seed give the same tokens on any rig, up to float noise in the logits themselves; and a
// claimed output can be replayed position by position against one forward pass (judgePosition).
import { createHash } from 'node:crypto';
import { JOB_LIMITS } from '@cocoon/shared';
import { z } from 'zod';

/**
 * How far the sampler goes past a job's bounds (shared's JOB_LIMITS): a job's own sampling is held to those
 * where its body is opened, but a job that sets none samples with its model's generation_config.json
 * (generation-defaults.ts), which the model's authors wrote, not the network: a top_k of 50,000 or a
 * temperature of 3 there is no reason to refuse the model. The wider bounds keep the sampler's arithmetic sane.
 */
export const SAMPLER_MAX_TEMPERATURE = JOB_LIMITS.temperature * 2.5;
export const SAMPLER_MAX_TOP_K = JOB_LIMITS.topK * 100;

export const samplingSchema = z.object({
  /** 0 = greedy: the most likely token, ties to the lowest id. */
  temperature: z.number().min(0).max(SAMPLER_MAX_TEMPERATURE).default(0.7),
  topP: z.number().gt(0).max(1).default(0.9),
  /** 0 = no top-k cut. */
  topK: z.number().int().min(0).max(SAMPLER_MAX_TOP_K).default(0),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
});
export type SamplingParams = z.output<typeof samplingSchema>;

/**
 * The model's own decoding rules, from its generation_config.json (part of the pinned files). The runner
 * applies them here rather than letting the library do it, so scoring replays exactly the same rules.
 */
export interface DecodingRules {
  repetitionPenalty: number;
  noRepeatNgramSize: number;
  minNewTokens: number;
  eosIds: readonly number[];
  suppressIds: readonly number[];
}

export const NO_RULES: DecodingRules = {
  repetitionPenalty: 1,
  noRepeatNgramSize: 0,
  minNewTokens: 0,
  eosIds: [],
  suppressIds: [],
};

/** The rules a Hugging Face generation_config asks for (fields this sampler doesn't know are ignored). */
export function decodingRules(config: Record<string, unknown> | undefined, eosIds: number[]): DecodingRules {
  const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
  const ids = (v: unknown) =>
    (Array.isArray(v) ? v : []).filter((x): x is number => Number.isInteger(x) && x >= 0);
  return {
    repetitionPenalty: num(config?.repetition_penalty, 1),
    noRepeatNgramSize: Math.max(0, Math.trunc(num(config?.no_repeat_ngram_size, 0))),
    minNewTokens: Math.max(0, Math.trunc(num(config?.min_new_tokens, 0))),
    eosIds,
    suppressIds: ids(config?.suppress_tokens),
  };
}

/** Generation-config overrides that turn the library's own versions of these rules off. */
export const LIBRARY_RULES_OFF = {
  repetition_penalty: 1,
  no_repeat_ngram_size: 0,
  min_new_tokens: null,
  min_length: 0,
  suppress_tokens: null,
  begin_suppress_tokens: null,
  bad_words_ids: null,
  do_sample: false,
  temperature: 1,
  top_k: 0,
} as const;

const DRAW_DOMAIN = 'cocoon/sampler/v1';

/** The uniform draw in [0, 1) for one position of one seeded job: sha256(domain ‖ seed ‖ position), 53 bits. */
export function seededUniform(seed: number, position: number): number {
  const h = createHash('sha256').update(`${DRAW_DOMAIN}|${seed}|${position}`).digest();
  // 21 high bits of the first word and 32 of the second: a 53-bit integer, exact in a double.
  return ((h.readUInt32BE(0) >>> 11) * 2 ** 32 + h.readUInt32BE(4)) / 2 ** 53;
}

/** Logits after the model's rules, as float64 (-Infinity for banned tokens). */
function ruledLogits(
  logits: ArrayLike<number>,
  history: ArrayLike<number>,
  generated: number,
  rules: DecodingRules,
): Float64Array {
  const out = Float64Array.from(logits);
  if (rules.repetitionPenalty !== 1) {
    const seen = new Set<number>();
    for (let i = 0; i < history.length; i++) seen.add(history[i]);
    for (const t of seen) {
      if (t >= out.length) continue;
      out[t] = out[t] > 0 ? out[t] / rules.repetitionPenalty : out[t] * rules.repetitionPenalty;
    }
  }
  const n = rules.noRepeatNgramSize;
  if (n > 0 && history.length >= n) {
    // Ban every token that would repeat an n-gram already in the history (prompt included, as HF does).
    const start = history.length - (n - 1);
    for (let j = 0; j + n - 1 < history.length; j++) {
      let same = true;
      for (let k = 0; k < n - 1 && same; k++) same = history[j + k] === history[start + k];
      if (same) out[history[j + n - 1]] = Number.NEGATIVE_INFINITY;
    }
  }
  if (generated < rules.minNewTokens) for (const t of rules.eosIds) out[t] = Number.NEGATIVE_INFINITY;
  for (const t of rules.suppressIds) if (t < out.length) out[t] = Number.NEGATIVE_INFINITY;
  return out;
}

function argmax(x: Float64Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

interface Distribution {
  /** Unnormalised probabilities of every token (0: never drawn). */
  weights: Float64Array;
  /** The tokens that may be drawn, in draw order; null: every token, in id order. */
  order: number[] | null;
  /** Sum of the weights of the tokens that may be drawn. */
  kept: number;
}

/** Walks the drawable tokens in draw order with each one's slice [lo, hi) of the cumulative distribution. */
function walk(d: Distribution, visit: (token: number, lo: number, hi: number) => boolean): void {
  let lo = 0;
  const n = d.order ? d.order.length : d.weights.length;
  for (let i = 0; i < n; i++) {
    const t = d.order ? d.order[i] : i;
    const w = d.weights[t];
    if (w === 0) continue;
    const hi = lo + w / d.kept;
    if (visit(t, lo, hi)) return;
    lo = hi;
  }
}

/**
 * Temperature, then top-k, then top-p, as Hugging Face orders them. Without a cut the order is the token ids'
 * (any fixed order draws the same distribution); with one, the likeliest first, ties to the lower id. Only the
 * head of the distribution is sorted: tokens are gathered above falling thresholds until they hold enough mass
 * (everything gathered outranks everything not), which keeps a step at a few hundred compares, not V log V.
 */
function distribution(ruled: Float64Array, p: SamplingParams): Distribution {
  const max = ruled[argmax(ruled)];
  const weights = new Float64Array(ruled.length);
  let total = 0;
  for (let i = 0; i < ruled.length; i++) {
    // exp(-Infinity) is 0: banned tokens weigh nothing and are never drawn.
    const w = Math.exp((ruled[i] - max) / p.temperature);
    weights[i] = w;
    total += w;
  }
  if (p.topK === 0 && p.topP >= 1) return { weights, order: null, kept: total };
  let order = head(weights, total, p);
  if (p.topK > 0) order = order.slice(0, p.topK);
  if (p.topP < 1) {
    // The nucleus is taken from what the top-k left, renormalised (as Hugging Face's warpers chain).
    let left = 0;
    for (const t of order) left += weights[t];
    let mass = 0;
    let keep = 0;
    for (const t of order) {
      mass += weights[t] / left;
      keep++;
      if (mass >= p.topP) break;
    }
    order = order.slice(0, keep);
  }
  let kept = 0;
  for (const t of order) kept += weights[t];
  return { weights, order, kept };
}

/** The likeliest tokens, sorted, at least enough of them for the top-k and the top-p cut. */
function head(weights: Float64Array, total: number, p: SamplingParams): number[] {
  const need = p.topP < 1 ? p.topP * total : total;
  for (let threshold = 1e-2; ; threshold /= 100) {
    const picked: number[] = [];
    let mass = 0;
    for (let i = 0; i < weights.length; i++) {
      if (weights[i] >= threshold && weights[i] > 0) {
        picked.push(i);
        mass += weights[i];
      }
    }
    const enough = (p.topK > 0 && picked.length >= p.topK) || mass >= need;
    if (enough || threshold < 1e-300) {
      return picked.sort((a, b) => weights[b] - weights[a] || a - b);
    }
  }
}

export interface StepInput {
  /** The model's logits for the next token. */
  logits: ArrayLike<number>;
  /** Every token id so far, prompt included. */
  history: ArrayLike<number>;
  /** Completion tokens so far: the position of the token being chosen. */
  position: number;
}

/** The token the seeded sampler chooses at this step. */
export function drawToken(step: StepInput, params: SamplingParams, rules: DecodingRules): number {
  const ruled = ruledLogits(step.logits, step.history, step.position, rules);
  if (params.temperature === 0) return argmax(ruled);
  const d = distribution(ruled, params);
  const u = seededUniform(params.seed, step.position);
  let chosen = -1;
  walk(d, (t, _lo, hi) => {
    chosen = t;
    return u < hi;
  });
  return chosen; // when rounding leaves u above the last slice's end: the last token
}

/**
 * Tolerances for float noise between rigs (thread counts, CPU vs GPU): a claimed token agrees when the draw
 * falls within PROB_EPSILON of its slice of the cumulative distribution, or, greedy, when its logit is within
 * LOGIT_EPSILON of the best. Small enough that top_p = 1 does not make any token agree: a wrong token agrees
 * only when the draw lands within 1e-4 of its slice, about its own probability.
 */
export const PROB_EPSILON = 1e-4;
export const LOGIT_EPSILON = 1e-3;

/** Whether `claimed` is a token the seeded sampler could have drawn here, up to float noise. */
export function judgePosition(
  step: StepInput,
  claimed: number,
  params: SamplingParams,
  rules: DecodingRules,
): boolean {
  const ruled = ruledLogits(step.logits, step.history, step.position, rules);
  if (!(claimed >= 0 && claimed < ruled.length) || ruled[claimed] === Number.NEGATIVE_INFINITY) return false;
  if (params.temperature === 0) return ruled[claimed] >= ruled[argmax(ruled)] - LOGIT_EPSILON;
  const d = distribution(ruled, params);
  const u = seededUniform(params.seed, step.position);
  // Outside the nucleus (or the top-k) a token is never drawn: no slice, no agreement.
  let agrees = false;
  walk(d, (t, lo, hi) => {
    if (t !== claimed) return false;
    agrees = u >= lo - PROB_EPSILON && u < hi + PROB_EPSILON;
    return true;
  });
  return agrees;
}
