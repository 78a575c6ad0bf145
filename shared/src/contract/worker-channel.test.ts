// The worker channel's hello takes protocol 1 (older workers: results without token ids) and 2 (results
// with token ids) while rigs upgrade, and nothing else.
import { describe, expect, it } from 'vitest';
import { toBase64 } from '../bytes';
import { newEd25519KeyPair, newX25519KeyPair } from '../crypto/keys';
import { PROTOCOL_VERSION, WORKER_PROTOCOLS, workerToProxy } from './worker-channel';

const hello = (protocol: unknown) => ({
  type: 'hello',
  protocol,
  models: [{ id: 'demo-gen', kinds: ['generate'], contextLength: 64 }],
  slots: 1,
  x25519PublicKey: toBase64(newX25519KeyPair().publicKey),
  ed25519PublicKey: toBase64(newEd25519KeyPair().publicKey),
  device: 'cpu',
  version: 'test',
});

describe('hello protocol', () => {
  it('accepts protocols 1 and 2; a worker of this version says 2', () => {
    expect(PROTOCOL_VERSION).toBe(2);
    expect(WORKER_PROTOCOLS).toEqual([1, 2]);
    for (const p of [1, 2]) expect(workerToProxy.safeParse(hello(p)).success).toBe(true);
  });

  it('refuses any other', () => {
    for (const p of [0, 3, '2', undefined]) expect(workerToProxy.safeParse(hello(p)).success).toBe(false);
  });
});
