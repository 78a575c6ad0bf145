import { describe, expect, it } from 'vitest';
import { lcsLength, ROUGE_MAX_TOKENS, rouge, rougeTokens } from './rouge';

// Every figure below is worked out by hand in the comment next to it.
describe('ROUGE', () => {
  it('the cat sat on the mat / the cat is on the mat', () => {
    const r = rouge('The cat is on the mat.', 'the cat sat on the mat');
    // Unigrams: the×2, cat, on, mat in common = 5 of 6 on both sides.
    expect(r.rouge1.precision).toBeCloseTo(5 / 6, 10);
    expect(r.rouge1.recall).toBeCloseTo(5 / 6, 10);
    expect(r.rouge1.f1).toBeCloseTo(5 / 6, 10);
    // Bigrams: "the cat", "on the", "the mat" of 5 each side.
    expect(r.rouge2.f1).toBeCloseTo(3 / 5, 10);
    // LCS: the cat on the mat = 5.
    expect(r.rougeL.f1).toBeCloseTo(5 / 6, 10);
  });

  it('a shorter summary: precision 1, recall 1/2', () => {
    const r = rouge('a c', 'a b c d');
    // P = 2/2, R = 2/4, F1 = 2·1·0.5/1.5 = 2/3.
    expect(r.rouge1).toMatchObject({ precision: 1, recall: 0.5 });
    expect(r.rouge1.f1).toBeCloseTo(2 / 3, 10);
    // Bigrams: "a c" is not among ab, bc, cd.
    expect(r.rouge2.f1).toBe(0);
    // LCS "a c" = 2: the same as ROUGE-1 here.
    expect(r.rougeL.f1).toBeCloseTo(2 / 3, 10);
  });

  it('clips repeated words to the reference count', () => {
    // "the" ×3 against "the cat": overlap 1; P = 1/3, R = 1/2, F1 = 2·(1/6)/(5/6) = 0.4.
    const r = rouge('the the the', 'the cat');
    expect(r.rouge1.f1).toBeCloseTo(0.4, 10);
    expect(r.rouge2.f1).toBe(0);
  });

  it('LCS is in order, not a bag of words', () => {
    // Reversed: every word in common (ROUGE-1 = 1) but the LCS is one word: F1 = 1/3.
    const r = rouge('c b a', 'a b c');
    expect(r.rouge1.f1).toBe(1);
    expect(r.rougeL.f1).toBeCloseTo(1 / 3, 10);
    expect(lcsLength(['a', 'x', 'b', 'y', 'c'], ['a', 'b', 'c'])).toBe(3);
  });

  it('empty sides score 0; tokens are case- and punctuation-free in any script', () => {
    expect(rouge('', 'a b').rouge1.f1).toBe(0);
    expect(rouge('a b', '').rougeL.f1).toBe(0);
    expect(rouge('', '').rouge2.f1).toBe(0);
    expect(rougeTokens('Amanda: Встречаемся в 10:00! Ok?')).toEqual([
      'amanda',
      'встречаемся',
      'в',
      '10',
      '00',
      'ok',
    ]);
    expect(rouge('Встречаемся завтра', 'встречаемся завтра.').rouge2.f1).toBe(1);
    expect(rougeTokens('w '.repeat(ROUGE_MAX_TOKENS + 10))).toHaveLength(ROUGE_MAX_TOKENS);
  });
});
