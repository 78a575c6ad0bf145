import { describe, expect, it } from 'vitest';
import {
  decodingRules,
  drawToken,
  judgePosition,
  NO_RULES,
  type SamplingParams,
  samplingSchema,
  seededUniform,
} from './sampler';

const params = (p: Partial<SamplingParams> = {}): SamplingParams => samplingSchema.parse(p);

/** Logits whose softmax is `probs`. */
const logitsOf = (probs: number[]) => Float32Array.from(probs, (p) => (p > 0 ? Math.log(p) : -1e9));

describe('seededUniform', () => {
  it('is a pure function of seed and position, in [0, 1)', () => {
    expect(seededUniform(42, 7)).toBe(seededUniform(42, 7));
    expect(seededUniform(42, 7)).not.toBe(seededUniform(43, 7));
    expect(seededUniform(42, 7)).not.toBe(seededUniform(42, 8));
    let sum = 0;
    for (let i = 0; i < 4000; i++) {
      const u = seededUniform(1, i);
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      sum += u;
    }
    expect(sum / 4000).toBeGreaterThan(0.47);
    expect(sum / 4000).toBeLessThan(0.53);
  });
});

describe('drawToken', () => {
  it('is greedy at temperature 0, ties to the lowest id', () => {
    const step = { logits: Float32Array.of(1, 3, 3, 2), history: [0], position: 0 };
    expect(drawToken(step, params({ temperature: 0, seed: 9 }), NO_RULES)).toBe(1);
  });

  it('draws by the distribution: frequencies over seeds follow the probabilities', () => {
    const probs = [0.5, 0.3, 0.15, 0.05];
    const counts = [0, 0, 0, 0];
    for (let seed = 0; seed < 4000; seed++) {
      const t = drawToken(
        { logits: logitsOf(probs), history: [0], position: 0 },
        params({ temperature: 1, topP: 1, seed }),
        NO_RULES,
      );
      counts[t]++;
    }
    for (const [i, p] of probs.entries()) expect(Math.abs(counts[i] / 4000 - p)).toBeLessThan(0.03);
  });

  it('cuts by top-k and top-p', () => {
    const probs = [0.5, 0.3, 0.15, 0.05];
    const seen = new Set<number>();
    for (let seed = 0; seed < 300; seed++) {
      const step = { logits: logitsOf(probs), history: [0], position: 0 };
      expect(drawToken(step, params({ temperature: 1, topK: 1, topP: 1, seed }), NO_RULES)).toBe(0);
      seen.add(drawToken(step, params({ temperature: 1, topP: 0.8, seed }), NO_RULES));
    }
    // 0.5 + 0.3 reaches top_p 0.8: only the first two are ever drawn.
    expect([...seen].sort()).toEqual([0, 1]);
  });

  it("applies the model's rules: no repeated n-gram, no end before the minimum length", () => {
    // History "5 6 7 5 6": with no_repeat_ngram_size 3, token 7 would repeat "5 6 7".
    const logits = Float32Array.from({ length: 8 }, (_, i) => (i === 7 ? 10 : i === 2 ? 9 : 0));
    const rules = decodingRules({ no_repeat_ngram_size: 3, min_new_tokens: 2 }, [2]);
    const greedy = params({ temperature: 0 });
    expect(drawToken({ logits, history: [5, 6, 7, 5, 6], position: 1 }, greedy, rules)).toBe(0);
    expect(drawToken({ logits, history: [5, 6, 7, 5, 6], position: 2 }, greedy, rules)).toBe(2);
    expect(drawToken({ logits, history: [1, 6], position: 0 }, greedy, rules)).toBe(7);
  });
});

describe('judgePosition', () => {
  const probs = new Array<number>(50).fill(1 / 50);

  it('agrees with what the sampler draws, also under float noise in the logits', () => {
    for (let seed = 0; seed < 200; seed++) {
      const p = params({ temperature: 0.8, topP: 0.95, seed });
      const logits = logitsOf([0.4, 0.25, 0.2, 0.1, 0.05]);
      const drawn = drawToken({ logits, history: [1], position: 3 }, p, NO_RULES);
      const noisy = logits.map((x, i) => x * (1 + (i % 2 ? 1e-6 : -1e-6)));
      expect(judgePosition({ logits: noisy, history: [1], position: 3 }, drawn, p, NO_RULES)).toBe(true);
    }
  });

  it('at top_p = 1 a wrong token agrees only about as often as its own probability', () => {
    let agreed = 0;
    for (let seed = 0; seed < 2000; seed++) {
      const p = params({ temperature: 1, topP: 1, seed });
      const claimed = (seed * 7) % 50;
      if (judgePosition({ logits: logitsOf(probs), history: [0], position: 0 }, claimed, p, NO_RULES))
        agreed++;
    }
    expect(agreed / 2000).toBeLessThan(0.05);
  });

  it('refuses a token outside the nucleus, a banned token, or an id outside the vocabulary', () => {
    const logits = logitsOf([0.7, 0.2, 0.1]);
    const p = params({ temperature: 1, topP: 0.6, seed: 1 });
    expect(judgePosition({ logits, history: [0], position: 0 }, 2, p, NO_RULES)).toBe(false);
    expect(judgePosition({ logits, history: [0], position: 0 }, 0, p, NO_RULES)).toBe(true);
    expect(judgePosition({ logits, history: [0], position: 0 }, 3, p, NO_RULES)).toBe(false);
    const rules = decodingRules({ suppress_tokens: [0] }, []);
    expect(judgePosition({ logits, history: [0], position: 0 }, 0, p, rules)).toBe(false);
  });

  it('greedy: the best token agrees, a near-tie within float noise agrees, a clearly worse one does not', () => {
    const p = params({ temperature: 0 });
    const logits = Float32Array.of(2, 2.0000001, 1);
    expect(judgePosition({ logits, history: [0], position: 0 }, 1, p, NO_RULES)).toBe(true);
    expect(judgePosition({ logits, history: [0], position: 0 }, 0, p, NO_RULES)).toBe(true);
    expect(judgePosition({ logits, history: [0], position: 0 }, 2, p, NO_RULES)).toBe(false);
  });
});
