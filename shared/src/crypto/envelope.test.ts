import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from '../bytes';
import { openJob, openResultPart, sealedResultHash, sealJob, sealResultPart } from './envelope';
import { newEd25519KeyPair, newX25519KeyPair } from './keys';
import { signReceipt, verifyReceipt } from './receipt';

const rigA = { rigId: '00000000-0000-4000-8000-00000000000a', keys: newX25519KeyPair() };
const rigB = { rigId: '00000000-0000-4000-8000-00000000000b', keys: newX25519KeyPair() };
const recipients = [rigA, rigB].map((r) => ({ rigId: r.rigId, x25519PublicKey: r.keys.publicKey }));

describe('envelope', () => {
  it('every candidate can open the job, and the client reads what the rig sealed back', () => {
    const body = { kind: 'generate', prompt: 'secret canary ✓', maxTokens: 5 };
    const { envelope, state } = sealJob(body, recipients, 'quote-1');
    expect(JSON.stringify(envelope)).not.toContain('canary');
    for (const rig of [rigA, rigB]) {
      const opened = openJob(envelope, rig.rigId, rig.keys.secretKey, 'quote-1');
      expect(opened.body).toEqual(body);
      const chunk = sealResultPart(opened.state, 0, { delta: 'hi' });
      const final = sealResultPart(opened.state, 'final', {
        text: 'hi',
        promptTokens: 1,
        completionTokens: 1,
      });
      expect(openResultPart(state, rig.rigId, 0, chunk)).toEqual({ delta: 'hi' });
      expect(openResultPart(state, rig.rigId, 'final', final)).toMatchObject({ text: 'hi' });
      // A chunk can't be replayed as another part.
      expect(() => openResultPart(state, rig.rigId, 1, chunk)).toThrow();
    }
  });

  it('refuses envelopes for another rig, another quote, or tampered bytes', () => {
    const { envelope } = sealJob(
      { kind: 'generate', prompt: 'x', maxTokens: 1 },
      recipients.slice(0, 1),
      'q',
    );
    const other = newX25519KeyPair();
    expect(() => openJob(envelope, rigB.rigId, rigB.keys.secretKey, 'q')).toThrow(/not addressed/);
    expect(() => openJob(envelope, rigA.rigId, other.secretKey, 'q')).toThrow();
    expect(() => openJob(envelope, rigA.rigId, rigA.keys.secretKey, 'another-quote')).toThrow();
    const ct = fromBase64(envelope.body.ciphertext);
    ct[0] ^= 1;
    const tampered = { ...envelope, body: { ...envelope.body, ciphertext: toBase64(ct) } };
    expect(() => openJob(tampered, rigA.rigId, rigA.keys.secretKey, 'q')).toThrow();
  });

  it('rejects more than three recipients', () => {
    const four = [0, 1, 2, 3].map((i) => ({
      rigId: `00000000-0000-4000-8000-00000000000${i}`,
      x25519PublicKey: newX25519KeyPair().publicKey,
    }));
    expect(() => sealJob({}, four, 'q')).toThrow(/1 to 3/);
  });
});

describe('usage receipts', () => {
  it('verify with the signing key only, and not after any field changes', () => {
    const keys = newEd25519KeyPair();
    const box = { nonce: 'AAAA', ciphertext: 'BBBB' };
    const receipt = {
      jobId: rigA.rigId,
      rigId: rigB.rigId,
      model: 'demo-gen',
      promptTokens: 10,
      completionTokens: 20,
      resultHash: sealedResultHash(box),
      commitment: 'c'.repeat(64),
    };
    const sig = signReceipt(receipt, keys.secretKey);
    expect(verifyReceipt(receipt, sig, keys.publicKey)).toBe(true);
    expect(verifyReceipt({ ...receipt, completionTokens: 21 }, sig, keys.publicKey)).toBe(false);
    expect(verifyReceipt({ ...receipt, commitment: 'd'.repeat(64) }, sig, keys.publicKey)).toBe(false);
    expect(verifyReceipt(receipt, sig, newEd25519KeyPair().publicKey)).toBe(false);
    expect(verifyReceipt(receipt, 'not-base64!', keys.publicKey)).toBe(false);
  });
});
