import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { keyFingerprint } from '@cocoon/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { KEYS_FILE, loadOrCreateKeys } from './keys';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'cocoon-keys-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('rig keys', () => {
  it('are made on first run in a 0600 file, and reused on the next', () => {
    const dir = path.join(tempDir(), 'nested', 'cocoon-worker');
    const first = loadOrCreateKeys(dir);
    expect(first.created).toBe(true);
    const file = path.join(dir, KEYS_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o077).toBe(0);
    expect(first.x25519.publicKey).toHaveLength(32);
    expect(first.ed25519.publicKey).toHaveLength(32);
    expect(first.fingerprint).toBe(keyFingerprint(first.x25519.publicKey, first.ed25519.publicKey));
    expect(first.fingerprint).toMatch(/^[0-9a-f]{4}(:[0-9a-f]{4}){3}$/);

    const second = loadOrCreateKeys(dir);
    expect(second.created).toBe(false);
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(second.x25519.secretKey).toEqual(first.x25519.secretKey);
    expect(second.ed25519.secretKey).toEqual(first.ed25519.secretKey);
    // The file holds secrets only; the public keys are derived.
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8'))).sort()).toEqual([
      'ed25519SecretKey',
      'v',
      'x25519SecretKey',
    ]);
  });

  it('tightens a key file someone made world-readable', () => {
    const dir = tempDir();
    loadOrCreateKeys(dir);
    const file = path.join(dir, KEYS_FILE);
    chmodSync(file, 0o644);
    loadOrCreateKeys(dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a damaged key file instead of silently making a new identity', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, KEYS_FILE), '{"v":1,', { mode: 0o600 });
    expect(() => loadOrCreateKeys(dir)).toThrow(/not valid JSON/);
    writeFileSync(
      path.join(dir, KEYS_FILE),
      JSON.stringify({ v: 1, x25519SecretKey: 'AAAA', ed25519SecretKey: 'AAAA' }),
    );
    expect(() => loadOrCreateKeys(dir)).toThrow(/wrong length/);
  });
});
