// Usage receipts: the rig signs what it used, the proxy checks the signature before it charges anyone.
import { fromBase64, toBase64, utf8 } from '../bytes';
import type { UsageReceipt } from '../contract/worker-channel';
import { curves } from './curves';

/** Canonical bytes of a receipt: fixed field order, so signer and verifier agree. */
export function receiptBytes(r: UsageReceipt): Uint8Array {
  return utf8.encode(
    [
      'cocoon/v1/receipt',
      r.jobId,
      r.rigId,
      r.model,
      r.promptTokens,
      r.completionTokens,
      r.resultHash,
      r.commitment,
    ].join('|'),
  );
}

export function signReceipt(receipt: UsageReceipt, ed25519SecretKey: Uint8Array): string {
  return toBase64(curves.ed25519Sign(receiptBytes(receipt), ed25519SecretKey));
}

export function verifyReceipt(
  receipt: UsageReceipt,
  signatureB64: string,
  ed25519PublicKey: Uint8Array,
): boolean {
  try {
    return curves.ed25519Verify(fromBase64(signatureB64), receiptBytes(receipt), ed25519PublicKey);
  } catch {
    return false;
  }
}
