// Key material for wallets the proxy signs for. The caller persists it (env/secret file); never log it.
import {
  type KeyPair,
  keyPairFromSeed,
  mnemonicNew,
  mnemonicToPrivateKey,
  mnemonicValidate,
} from '@ton/crypto';
import { z } from 'zod';

/** Either a standard 24-word TON mnemonic (importable into any TON wallet app) or a raw 32-byte seed. */
export const ServiceKeySchema = z.union([
  z.object({ mnemonic: z.array(z.string().min(1)).length(24) }),
  z.object({ seedHex: z.string().regex(/^[0-9a-fA-F]{64}$/) }),
]);
export type ServiceKey = z.infer<typeof ServiceKeySchema>;

/** A fresh service key as a 24-word mnemonic. */
export async function generateServiceKey(): Promise<{ mnemonic: string[] }> {
  return { mnemonic: await mnemonicNew(24) };
}

export async function keyPairFromServiceKey(key: ServiceKey): Promise<KeyPair> {
  const parsed = ServiceKeySchema.parse(key);
  if ('seedHex' in parsed) return keyPairFromSeed(Buffer.from(parsed.seedHex, 'hex'));
  if (!(await mnemonicValidate(parsed.mnemonic)))
    throw new Error('service key: mnemonic is not a valid TON mnemonic');
  return mnemonicToPrivateKey(parsed.mnemonic);
}
