// The rig's long-lived keys: X25519 (clients seal jobs to it) and Ed25519 (signs usage receipts).
// Made on first run and kept in one JSON file, readable by the owner only (0600, folder 0700), so a
// restarted worker keeps its identity and jobs sealed to it before the restart still open.
import { chmodSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  b64,
  ed25519PublicKey,
  fromBase64,
  type KeyPair,
  keyFingerprint,
  newEd25519KeyPair,
  newX25519KeyPair,
  toBase64,
  x25519PublicKey,
} from '@cocoon/shared';
import { z } from 'zod';

export const KEYS_FILE = 'keys.json';

const keysFileSchema = z.object({
  v: z.literal(1),
  x25519SecretKey: b64,
  ed25519SecretKey: b64,
});

export interface RigKeys {
  x25519: KeyPair;
  ed25519: KeyPair;
  /** Short fingerprint of both public keys, as the Mini App shows it. */
  fingerprint: string;
  /** True when this call made the keys (first run). */
  created: boolean;
  file: string;
}

export class KeyFileError extends Error {
  constructor(file: string, problem: string) {
    super(`rig key file ${file} ${problem}`);
    this.name = 'KeyFileError';
  }
}

function fromSecrets(xSecret: Uint8Array, edSecret: Uint8Array, created: boolean, file: string): RigKeys {
  const x25519 = { secretKey: xSecret, publicKey: x25519PublicKey(xSecret) };
  const ed25519 = { secretKey: edSecret, publicKey: ed25519PublicKey(edSecret) };
  return { x25519, ed25519, fingerprint: keyFingerprint(x25519.publicKey, ed25519.publicKey), created, file };
}

function readKeys(file: string): RigKeys {
  // Tighten permissions a copy or an editor may have loosened: the file holds the rig's secrets.
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new KeyFileError(
      file,
      'is not valid JSON; move it away to make new keys (the rig gets a new identity)',
    );
  }
  const parsed = keysFileSchema.safeParse(json);
  if (!parsed.success) throw new KeyFileError(file, 'has an unknown format');
  const x = fromBase64(parsed.data.x25519SecretKey);
  const ed = fromBase64(parsed.data.ed25519SecretKey);
  if (x.length !== 32 || ed.length !== 32) throw new KeyFileError(file, 'holds keys of the wrong length');
  return fromSecrets(x, ed, false, file);
}

/** Loads the rig keys from `configDir`, making them on first run. */
export function loadOrCreateKeys(configDir: string): RigKeys {
  const dir = path.resolve(configDir);
  const file = path.join(dir, KEYS_FILE);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    return readKeys(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const x = newX25519KeyPair();
  const ed = newEd25519KeyPair();
  const body = { v: 1, x25519SecretKey: toBase64(x.secretKey), ed25519SecretKey: toBase64(ed.secretKey) };
  // Write a private temp file, then link it into place: the key file appears whole or not at all, and
  // of two workers started at once only one wins (link fails with EEXIST); the other reads its keys.
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(body)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    chmodSync(tmp, 0o600); // the mode above is filtered by the umask; make it exact
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readKeys(file);
    throw err;
  } finally {
    unlinkSync(tmp);
  }
  return fromSecrets(x.secretKey, ed.secretKey, true, file);
}
