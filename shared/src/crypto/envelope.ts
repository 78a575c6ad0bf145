// End-to-end sealing between a client and the rigs that may run its job.
//
// The body is encrypted once with a fresh content key (XChaCha20-Poly1305). The content key is wrapped for
// each candidate rig with a key derived from X25519(client ephemeral, rig) through HKDF-SHA256. The proxy
// only ever sees this envelope. The result travels back sealed with a key derived from the same shared
// secret, so only the client that holds the ephemeral secret can read it.
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { concatBytes, fromBase64, toBase64, toHex, utf8 } from '../bytes';
import type { SealedBox, SealedEnvelope } from '../schemas/envelope';
import { curves } from './curves';
import { newX25519KeyPair } from './keys';

const WRAP_INFO = utf8.encode('cocoon/v1/wrap');
const RESULT_INFO = utf8.encode('cocoon/v1/result');
const AUDIT_COPY_INFO = utf8.encode('cocoon/v1/audit-copy');
export const MAX_RECIPIENTS = 3;

export interface Recipient {
  rigId: string;
  x25519PublicKey: Uint8Array;
}

function deriveKey(
  shared: Uint8Array,
  clientPub: Uint8Array,
  rigPub: Uint8Array,
  info: Uint8Array,
): Uint8Array {
  return hkdf(sha256, shared, concatBytes(clientPub, rigPub), info, 32);
}

function seal(key: Uint8Array, plaintext: Uint8Array, aad: string): SealedBox {
  const nonce = randomBytes(24);
  const ciphertext = xchacha20poly1305(key, nonce, utf8.encode(aad)).encrypt(plaintext);
  return { nonce: toBase64(nonce), ciphertext: toBase64(ciphertext) };
}

function open(key: Uint8Array, box: SealedBox, aad: string): Uint8Array {
  return xchacha20poly1305(key, fromBase64(box.nonce), utf8.encode(aad)).decrypt(fromBase64(box.ciphertext));
}

/** What a client keeps after sealing, to read the result later. */
export interface ClientSealState {
  ephemeralSecretKey: Uint8Array;
  ephemeralPublicKey: Uint8Array;
  /** The public key of each candidate, by rig id, to derive that rig's result key. */
  rigKeys: Map<string, Uint8Array>;
  /** Result keys already derived, by rig id: one key agreement per rig, not one per chunk. */
  resultKeys: Map<string, Uint8Array>;
  aad: string;
}

/**
 * Seals a JSON job body for up to three rigs. `aad` binds the envelope to its quote, so the proxy can't
 * replay it under another job.
 */
export function sealJob(
  body: unknown,
  recipients: Recipient[],
  aad: string,
): { envelope: SealedEnvelope; state: ClientSealState } {
  if (recipients.length < 1 || recipients.length > MAX_RECIPIENTS) {
    throw new RangeError(`an envelope needs 1 to ${MAX_RECIPIENTS} recipients`);
  }
  const eph = newX25519KeyPair();
  const contentKey = randomBytes(32);
  const bodyBox = seal(contentKey, utf8.encode(JSON.stringify(body)), aad);
  const rigKeys = new Map<string, Uint8Array>();
  const wrapped = recipients.map((r) => {
    rigKeys.set(r.rigId, r.x25519PublicKey);
    const shared = curves.x25519SharedSecret(eph.secretKey, r.x25519PublicKey);
    const kek = deriveKey(shared, eph.publicKey, r.x25519PublicKey, WRAP_INFO);
    return { rigId: r.rigId, wrappedKey: seal(kek, contentKey, `${aad}|${r.rigId}`) };
  });
  return {
    envelope: { v: 1, clientPublicKey: toBase64(eph.publicKey), body: bodyBox, recipients: wrapped },
    state: {
      ephemeralSecretKey: eph.secretKey,
      ephemeralPublicKey: eph.publicKey,
      rigKeys,
      resultKeys: new Map(),
      aad,
    },
  };
}

/** What a rig keeps after opening a job, to seal chunks and the result back to the client. */
export interface RigOpenState {
  resultKey: Uint8Array;
  /** The job's content key: every candidate holds it, so what is sealed under it reaches each of them. */
  contentKey: Uint8Array;
  aad: string;
}

/** Opens an envelope addressed to `rigId`. Throws when it isn't addressed to this rig or was tampered with. */
export function openJob(
  envelope: SealedEnvelope,
  rigId: string,
  rigSecretKey: Uint8Array,
  aad: string,
): { body: unknown; state: RigOpenState } {
  const entry = envelope.recipients.find((r) => r.rigId === rigId);
  if (!entry) throw new Error('envelope is not addressed to this rig');
  const clientPub = fromBase64(envelope.clientPublicKey);
  const rigPub = curves.x25519PublicKey(rigSecretKey);
  const shared = curves.x25519SharedSecret(rigSecretKey, clientPub);
  const kek = deriveKey(shared, clientPub, rigPub, WRAP_INFO);
  const contentKey = open(kek, entry.wrappedKey, `${aad}|${rigId}`);
  const body = JSON.parse(utf8.decode(open(contentKey, envelope.body, aad)));
  return { body, state: { resultKey: deriveKey(shared, clientPub, rigPub, RESULT_INFO), contentKey, aad } };
}

function auditCopyKey(contentKey: Uint8Array): Uint8Array {
  return hkdf(sha256, contentKey, undefined, AUDIT_COPY_INFO, 32);
}

/**
 * Rig side: seals the final result for the job's other candidates, its possible auditors. The key comes
 * from the job's content key, which the client wrapped for every candidate (and nobody else): the proxy
 * stores the copy but can't open it. The receipt's commitment binds it to what the client got.
 */
export function sealAuditCopy(state: RigOpenState, value: unknown): SealedBox {
  return seal(auditCopyKey(state.contentKey), utf8.encode(JSON.stringify(value)), `${state.aad}|audit-copy`);
}

/** Auditor side: opens the job (as one of its candidates) and the executing rig's copy of the result. */
export function openAuditCopy(
  envelope: SealedEnvelope,
  rigId: string,
  rigSecretKey: Uint8Array,
  aad: string,
  copy: SealedBox,
): { body: unknown; result: unknown } {
  const { body, state } = openJob(envelope, rigId, rigSecretKey, aad);
  const result = JSON.parse(utf8.decode(open(auditCopyKey(state.contentKey), copy, `${aad}|audit-copy`)));
  return { body, result };
}

/** What a verdict names as the request: sha256 over the sealed body, which the proxy and every candidate see. */
export function requestHash(envelope: SealedEnvelope): string {
  return toHex(sha256(utf8.encode(`${envelope.body.nonce}.${envelope.body.ciphertext}`)));
}

function resultAad(aad: string, part: number | 'final'): string {
  return `${aad}|result|${part}`;
}

/** Rig side: seals one streamed chunk (`seq` from 0) or the final result. */
export function sealResultPart(state: RigOpenState, part: number | 'final', value: unknown): SealedBox {
  return seal(state.resultKey, utf8.encode(JSON.stringify(value)), resultAad(state.aad, part));
}

/** Client side: opens a chunk or the final result sealed by `rigId`. */
export function openResultPart(
  state: ClientSealState,
  rigId: string,
  part: number | 'final',
  box: SealedBox,
): unknown {
  let key = state.resultKeys.get(rigId);
  if (!key) {
    const rigPub = state.rigKeys.get(rigId);
    if (!rigPub) throw new Error(`rig ${rigId} was not a recipient of this job`);
    const shared = curves.x25519SharedSecret(state.ephemeralSecretKey, rigPub);
    key = deriveKey(shared, state.ephemeralPublicKey, rigPub, RESULT_INFO);
    state.resultKeys.set(rigId, key);
  }
  return JSON.parse(utf8.decode(open(key, box, resultAad(state.aad, part))));
}

/** The hash a usage receipt commits to: SHA-256 over the sealed result, so the proxy can check it. */
export function sealedResultHash(box: SealedBox): string {
  return toHex(sha256(utf8.encode(`${box.nonce}.${box.ciphertext}`)));
}
