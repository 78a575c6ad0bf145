// A rig's commitment to the plaintext of a result: sha256 over a random salt and the result's canonical
// form. The salt travels inside the sealed result, so the proxy, which sees the commitment in the signed
// receipt, learns nothing from it; the client, which opens the result, checks it. A rig can't seal one text
// to the client and another to an auditor under the same signed receipt.
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { toBase64, utf8 } from '../bytes';
import type { FinalResult } from '../schemas/envelope';

/**
 * The result in one canonical byte form: fixed fields, fixed order. A result with token ids is committed in
 * form v2, one without in form v1 (what older workers sign): the tag is inside the hash, so a commitment to
 * one form never matches the other, and dropping or adding the ids breaks it.
 */
function canonical(r: FinalResult): Uint8Array {
  const v1 = [r.salt, r.text, r.promptTokens, r.completionTokens, r.finishReason];
  return utf8.encode(
    JSON.stringify(r.tokenIds ? ['cocoon/v2/result', ...v1, r.tokenIds] : ['cocoon/v1/result', ...v1]),
  );
}

/** Hex sha256 of the salted canonical result. */
export function resultCommitment(r: FinalResult): string {
  return Array.from(sha256(canonical(r)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Salts a result (16 random bytes) and commits to it: what a rig seals, and what its receipt signs. */
export function commitResult(r: Omit<FinalResult, 'salt'>): { final: FinalResult; commitment: string } {
  const final: FinalResult = { ...r, salt: toBase64(randomBytes(16)) };
  return { final, commitment: resultCommitment(final) };
}

/** What a rig's signed receipt says about its result (contract/worker-channel.ts usageReceipt). */
export interface SignedUsage {
  commitment: string;
  promptTokens: number;
  completionTokens: number;
}

export interface OpenedResultProblem {
  reason: 'commitment_mismatch' | 'token_count_mismatch';
  message: string;
}

/**
 * Why an opened result can't stand under the receipt its rig signed, or null: what a client checks before it
 * shows a result, and an auditor before it scores one. The result must be the one committed to and count what
 * the receipt counts; a v2 result's completion tokens are its token ids, every one (the end-of-sequence token
 * and a stop sequence's tokens, which the text hides, included), and never more than the job's maxTokens.
 */
export function openedResultProblem(
  r: FinalResult,
  signed: SignedUsage,
  maxTokens: number,
): OpenedResultProblem | null {
  if (resultCommitment(r) !== signed.commitment)
    return {
      reason: 'commitment_mismatch',
      message: "the rig's result does not match what its receipt committed to",
    };
  const mismatch = (message: string): OpenedResultProblem => ({ reason: 'token_count_mismatch', message });
  if (r.promptTokens !== signed.promptTokens || r.completionTokens !== signed.completionTokens)
    return mismatch('the token counts in the result differ from the signed receipt');
  if (!r.tokenIds) return null;
  if (r.tokenIds.length !== r.completionTokens)
    return mismatch(
      `the result counts ${r.completionTokens} completion tokens but carries ${r.tokenIds.length} token ids`,
    );
  if (r.tokenIds.length > maxTokens)
    return mismatch(`the result carries ${r.tokenIds.length} token ids, more than the job's ${maxTokens}`);
  return null;
}
