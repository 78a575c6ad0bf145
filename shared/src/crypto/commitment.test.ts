// Results v1 (text and counts, older workers) and v2 (with the generated token ids): each commits in its own
// canonical form, neither form passes for the other, and what a client and an auditor check of an opened
// result against its signed receipt holds for both.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RESULT_BASE_BYTES, resultByteBudget, sealedResultBudget } from '../result-budget';
import { finalResult, MAX_TOKEN_ID } from '../schemas/envelope';
import { commitResult, openedResultProblem, resultCommitment } from './commitment';
import { openJob, sealJob, sealResultPart } from './envelope';
import { newX25519KeyPair } from './keys';

const v1 = { text: 'general kenobi', promptTokens: 3, completionTokens: 3, finishReason: 'stop' as const };
const v2 = { ...v1, tokenIds: [17, 4, 2] };

const signedFor = (r: { promptTokens: number; completionTokens: number }, commitment: string) => ({
  commitment,
  promptTokens: r.promptTokens,
  completionTokens: r.completionTokens,
});

describe('result commitments', () => {
  it('commits to a v1 result as before: the v1 canonical form, unchanged', () => {
    const { final, commitment } = commitResult(v1);
    expect(final.tokenIds).toBeUndefined();
    expect(resultCommitment(final)).toBe(commitment);
    // Pinned: a v1 worker and a new client must agree on the old form byte for byte.
    const fixed = { ...v1, salt: 'AAAAAAAAAAAAAAAAAAAAAA==' };
    const oldForm = JSON.stringify(['cocoon/v1/result', fixed.salt, 'general kenobi', 3, 3, 'stop']);
    expect(resultCommitment(fixed)).toBe(createHash('sha256').update(oldForm).digest('hex'));
  });

  it('binds a v2 result to its ids: dropping, editing or adding them breaks the commitment', () => {
    const { final, commitment } = commitResult(v2);
    expect(final.tokenIds).toEqual([17, 4, 2]);
    expect(resultCommitment(final)).toBe(commitment);
    const { tokenIds: _ids, ...dropped } = final;
    expect(resultCommitment(dropped)).not.toBe(commitment);
    expect(resultCommitment({ ...final, tokenIds: [17, 4, 3] })).not.toBe(commitment);
    expect(resultCommitment({ ...final, tokenIds: [17, 4, 2, 0] })).not.toBe(commitment);
    // A v1 result with the same fields commits in the other form.
    expect(resultCommitment({ ...dropped, salt: final.salt })).not.toBe(commitment);
  });

  it('bounds the ids in the schema: non-negative int32, at most the largest maxTokens', () => {
    const salt = 'AAAAAAAAAAAAAAAAAAAAAA==';
    expect(finalResult.safeParse({ ...v2, salt }).success).toBe(true);
    expect(finalResult.safeParse({ ...v2, salt, tokenIds: [MAX_TOKEN_ID] }).success).toBe(true);
    for (const bad of [[-1], [MAX_TOKEN_ID + 1], [1.5], ['1'], new Array(100_001).fill(0)])
      expect(finalResult.safeParse({ ...v2, salt, tokenIds: bad }).success).toBe(false);
  });
});

describe('openedResultProblem', () => {
  it('passes honest v1 and v2 results', () => {
    for (const r of [v1, v2]) {
      const { final, commitment } = commitResult(r);
      expect(openedResultProblem(final, signedFor(r, commitment), 8)).toBeNull();
    }
  });

  it('refuses a result that is not the one committed to', () => {
    const { final, commitment } = commitResult(v2);
    expect(
      openedResultProblem({ ...final, text: 'hello there' }, signedFor(v2, commitment), 8),
    ).toMatchObject({
      reason: 'commitment_mismatch',
    });
  });

  it('refuses counts that differ from the receipt, in v1 and v2', () => {
    for (const r of [v1, v2]) {
      const { final, commitment } = commitResult(r);
      const signed = { ...signedFor(r, commitment), completionTokens: r.completionTokens + 1 };
      expect(openedResultProblem(final, signed, 8)).toMatchObject({ reason: 'token_count_mismatch' });
    }
  });

  it('refuses a v2 result whose completion tokens are not its ids, or whose ids pass maxTokens', () => {
    // Committed and signed as such, but 5 tokens charged for 3 ids.
    const padded = { ...v2, completionTokens: 5 };
    const a = commitResult(padded);
    expect(openedResultProblem(a.final, signedFor(padded, a.commitment), 8)).toMatchObject({
      reason: 'token_count_mismatch',
      message: expect.stringContaining('carries 3 token ids'),
    });
    const b = commitResult(v2);
    expect(openedResultProblem(b.final, signedFor(v2, b.commitment), 2)).toMatchObject({
      reason: 'token_count_mismatch',
      message: expect.stringContaining("more than the job's 2"),
    });
  });
});

describe('sealedResultBudget with token ids', () => {
  const rig = newX25519KeyPair();
  const rigId = '11111111-1111-4111-8111-111111111111';
  const sealedSize = (value: unknown) => {
    const { envelope } = sealJob({}, [{ rigId, x25519PublicKey: rig.publicKey }], 'job');
    const { state } = openJob(envelope, rigId, rig.secretKey, 'job');
    const box = sealResultPart(state, 'final', value);
    return box.ciphertext.length + box.nonce.length;
  };
  /** The largest honest result: text at its byte budget, one id per token, each the largest id, counts at max. */
  const largest = (maxTokens: number, ids = maxTokens) => ({
    text: 'x'.repeat(resultByteBudget(maxTokens)),
    promptTokens: 100_000,
    completionTokens: maxTokens,
    finishReason: 'length',
    tokenIds: new Array(ids).fill(MAX_TOKEN_ID),
    salt: 's'.repeat(64),
  });

  it('fits the largest honest v2 result at any maxTokens', () => {
    for (const maxTokens of [1, 8, 500, 4096, 100_000])
      expect(sealedSize(largest(maxTokens))).toBeLessThanOrEqual(sealedResultBudget(maxTokens));
  });

  it('does not fit one padded past its token budget', () => {
    for (const maxTokens of [1, 8, 500, 4096]) {
      const padded = largest(maxTokens, maxTokens + 40);
      expect(sealedSize(padded)).toBeGreaterThan(sealedResultBudget(maxTokens));
      const longer = { ...largest(maxTokens), text: 'x'.repeat(resultByteBudget(maxTokens) + 500) };
      expect(sealedSize(longer)).toBeGreaterThan(sealedResultBudget(maxTokens));
    }
    expect(resultByteBudget(0)).toBe(RESULT_BASE_BYTES);
  });
});
