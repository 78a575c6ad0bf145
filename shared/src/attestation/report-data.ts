// What a TDX quote's 64 bytes of report data must be for this network: SHA-512 over a domain, the rig's
// X25519 key (what clients seal to), its Ed25519 key (what signs its receipts and verdicts) and the proxy's
// challenge. A quote binds the keys it was made for and the challenge it answered, so it can't be replayed
// for other keys, and the proxy can tell a fresh one from an old one.
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8 } from '../bytes';

const DOMAIN = utf8.encode('cocoon/v1/tdx-report-data');
export const CHALLENGE_BYTES = 32;

export function tdxReportData(keys: {
  x25519PublicKey: Uint8Array;
  ed25519PublicKey: Uint8Array;
  challenge: Uint8Array;
}): Uint8Array {
  return sha512(concatBytes(DOMAIN, keys.x25519PublicKey, keys.ed25519PublicKey, keys.challenge));
}
