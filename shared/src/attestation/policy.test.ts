import { describe, expect, it } from 'vitest';
import { newEd25519KeyPair } from '../crypto/keys';
import { type AttestationPolicy, openSignedPolicy, PolicyRejected, signPolicy } from './policy';

const operator = newEd25519KeyPair();
const policy: AttestationPolicy = {
  version: 1,
  issuedAt: '2026-11-30T00:00:00.000Z',
  tcbStatuses: ['UpToDate'],
  images: [{ name: 'worker-vm', mrTd: 'aa'.repeat(48) }],
};

describe('the signed attestation policy', () => {
  it('opens with the operator key it was signed with', () => {
    expect(openSignedPolicy(signPolicy(policy, operator.secretKey), operator.publicKey)).toEqual(policy);
  });

  it('is refused under another key, even one the document names itself', () => {
    const other = newEd25519KeyPair();
    const forged = signPolicy(policy, other.secretKey);
    expect(() => openSignedPolicy(forged, operator.publicKey)).toThrow(PolicyRejected);
    expect(() => openSignedPolicy(forged, operator.publicKey)).toThrow(/not signed by the operator key/);
  });

  it('is refused when its text was changed after signing (a laxer policy)', () => {
    const signed = signPolicy(policy, operator.secretKey);
    const laxer = { ...signed, policy: signed.policy.replace('["UpToDate"]', '["UpToDate","OutOfDate"]') };
    expect(laxer.policy).not.toBe(signed.policy);
    expect(() => openSignedPolicy(laxer, operator.publicKey)).toThrow(/not signed/);
  });

  it('is refused when it is not a signed policy document at all', () => {
    expect(() => openSignedPolicy({ policy: 1 }, operator.publicKey)).toThrow(/not a signed policy/);
    expect(() => openSignedPolicy(null, operator.publicKey)).toThrow(/not a signed policy/);
  });
});
