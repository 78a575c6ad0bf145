// The operator's Ed25519 key for on-chain accounts: it signs rig owners' earnings vouchers and co-signs
// immediate withdrawals. Its own secret (OPERATOR_KEY); on the sandbox chain a key is made once and kept under
// DATA_DIR (0600), or made fresh for a process that keeps nothing (tests).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type KeyPair, keyPairFromSeed } from '@ton/crypto';
import type { Config } from '../config';

export function loadOperatorKey(
  config: Pick<Config, 'OPERATOR_KEY' | 'TON_NETWORK' | 'DATA_DIR'>,
  persist: boolean,
): KeyPair {
  if (config.OPERATOR_KEY) return keyPairFromSeed(Buffer.from(config.OPERATOR_KEY, 'base64'));
  if (config.TON_NETWORK !== 'sandbox')
    throw new Error(
      `invalid proxy configuration:\n  OPERATOR_KEY: required for on-chain accounts when TON_NETWORK=${config.TON_NETWORK}`,
    );
  if (!persist) return keyPairFromSeed(randomBytes(32));
  const dir = join(config.DATA_DIR, 'ton');
  const file = join(dir, 'operator-key');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(file)) {
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return keyPairFromSeed(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'));
}

/** On-chain accounts are on by default on the sandbox chain, and wherever ONCHAIN_ACCOUNTS says so. */
export function onchainEnabled(config: Pick<Config, 'ONCHAIN_ACCOUNTS' | 'TON_NETWORK'>): boolean {
  return config.ONCHAIN_ACCOUNTS ?? config.TON_NETWORK === 'sandbox';
}
