// A rig's commitment to the plaintext of a result: sha256 over a random salt and the result's canonical
// form. The salt travels inside the sealed result, so the proxy, which sees the commitment in the signed
// receipt, learns nothing from it; the client, which opens the result, checks it. A rig can't seal one text
// to the client and another to an auditor under the same signed receipt.
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { toBase64, utf8 } from '../bytes';
import type { FinalResult } from '../schemas/envelope';

/** The result in one canonical byte form: fixed fields, fixed order. */
function canonical(r: FinalResult): Uint8Array {
  return utf8.encode(
    JSON.stringify(['cocoon/v1/result', r.salt, r.text, r.promptTokens, r.completionTokens, r.finishReason]),
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
