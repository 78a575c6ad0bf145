// Secrets shown once and stored hashed: rig tokens and developer API keys.
import { createHash, randomBytes } from 'node:crypto';

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function newRigToken(): string {
  return `rig_${randomBytes(32).toString('base64url')}`;
}

export function newApiKey(): string {
  return `ck_${randomBytes(32).toString('base64url')}`;
}
