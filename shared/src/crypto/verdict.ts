// Audit verdicts: an auditing rig signs what it checked (the job, the request, the result commitment), how
// well the claimed output agreed with its own run, and whether it passed. The proxy verifies the signature
// against the auditor's registered key before anything follows from a verdict.
import { fromBase64, toBase64, utf8 } from '../bytes';
import { curves } from './curves';

export interface Verdict {
  auditId: string;
  jobId: string;
  /** sha256 over the sealed request body (crypto/envelope.ts requestHash). */
  requestHash: string;
  /** The result commitment of the receipt under audit. */
  commitment: string;
  /** Agreement of the claimed output with the auditor's run, in millionths (1_000_000: every position). */
  agreementPpm: number;
  /** 'unable': the auditor could not check (the job doesn't open for it, it lacks the model): no judgement. */
  outcome: 'pass' | 'fail' | 'unable';
}

/** Canonical bytes of a verdict: fixed field order, domain-separated from receipts. */
export function verdictBytes(v: Verdict): Uint8Array {
  return utf8.encode(
    ['cocoon/v1/verdict', v.auditId, v.jobId, v.requestHash, v.commitment, v.agreementPpm, v.outcome].join(
      '|',
    ),
  );
}

export function signVerdict(v: Verdict, ed25519SecretKey: Uint8Array): string {
  return toBase64(curves.ed25519Sign(verdictBytes(v), ed25519SecretKey));
}

export function verifyVerdict(v: Verdict, signatureB64: string, ed25519PublicKey: Uint8Array): boolean {
  try {
    return curves.ed25519Verify(fromBase64(signatureB64), verdictBytes(v), ed25519PublicKey);
  } catch {
    return false;
  }
}
