// `npm run policy -- <command>`: the operator's attestation policy for the confidential tier.
//   keygen KEY_FILE            a new operator policy key (Ed25519): the secret goes to KEY_FILE (mode 600),
//                              the public key is printed: configure it as ATTESTATION_POLICY_KEY on the
//                              proxy, the bot and the gateway
//   sign KEY_FILE POLICY_JSON  signs a policy (see docs/confidential-tier.md) and prints the signed file to
//                              serve as ATTESTATION_POLICY_FILE; the policy needs a `sequence` above the
//                              last one signed (clients refuse an older one) and an `issuedAt` within
//                              the age clients accept
//   show SIGNED_JSON KEY       checks a signed policy against a public key (base64) and prints it
// Keep the key file off the proxy's machine: the proxy only serves the signed file, so it can't make a laxer one.
import { readFileSync, writeFileSync } from 'node:fs';
import {
  type AttestationPolicy,
  attestationPolicy,
  describeIssues,
  fromBase64,
  MAX_POLICY_AGE_MS,
  newEd25519KeyPair,
  openSignedPolicy,
  signPolicy,
  toBase64,
} from '@cocoon/shared';

const USAGE = `usage: npm run policy -- keygen KEY_FILE
       npm run policy -- sign KEY_FILE POLICY_JSON > signed-policy.json
       npm run policy -- show SIGNED_JSON PUBLIC_KEY_BASE64`;

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`can't read ${file}: ${(err as Error).message}`);
  }
}

function readSecret(file: string): Uint8Array {
  const key = fromBase64(readFileSync(file, 'utf8').trim());
  if (key.length !== 32) throw new Error(`${file} does not hold an Ed25519 secret key (32 bytes in base64)`);
  return key;
}

/**
 * What clients would refuse, refused at signing: no sequence (clients order policies by it), or an issue
 * date already past the age clients accept.
 */
function signable(file: string, p: AttestationPolicy, nowMs = Date.now()): void {
  if (p.sequence === undefined || p.sequence < 1)
    throw new Error(
      `${file}: sequence: required, a whole number above the last policy's (1 for the first): clients refuse a policy older than one they have seen`,
    );
  if (nowMs - Date.parse(p.issuedAt) > MAX_POLICY_AGE_MS)
    throw new Error(
      `${file}: issuedAt: ${p.issuedAt} is more than ${MAX_POLICY_AGE_MS / 86_400_000} days ago; clients would refuse it`,
    );
}

export function runPolicyCommand(args: string[], out: (line: string) => void): number {
  const [command, a, b] = args;
  if (command === 'keygen' && a) {
    const key = newEd25519KeyPair();
    writeFileSync(a, `${toBase64(key.secretKey)}\n`, { mode: 0o600, flag: 'wx' });
    out(`ATTESTATION_POLICY_KEY=${toBase64(key.publicKey)}`);
    return 0;
  }
  if (command === 'sign' && a && b) {
    const parsed = attestationPolicy.safeParse(readJson(b));
    if (!parsed.success) throw new Error(`${b}: ${describeIssues(parsed.error)}`);
    signable(b, parsed.data);
    out(JSON.stringify(signPolicy(parsed.data, readSecret(a)), null, 2));
    return 0;
  }
  if (command === 'show' && a && b) {
    out(JSON.stringify(openSignedPolicy(readJson(a), fromBase64(b)), null, 2));
    return 0;
  }
  out(USAGE);
  return 2;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    process.exitCode = runPolicyCommand(process.argv.slice(2), (l) => console.log(l));
  } catch (err) {
    console.error(`policy: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
