// Secrets shown once and stored hashed (rig tokens, developer API keys), and checks of configured secrets.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function newRigToken(): string {
  return `rig_${randomBytes(32).toString('base64url')}`;
}

export function newApiKey(): string {
  return `ck_${randomBytes(32).toString('base64url')}`;
}

/** Constant-time comparison of a presented secret with the configured one (never equal when unset). */
export function secretMatches(given: string, expected: string | undefined): boolean {
  if (!expected) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
