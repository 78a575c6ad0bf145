import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runPolicyCommand } from './attestation-policy';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cocoon-policy-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]): { code: number; out: string } {
  const lines: string[] = [];
  const code = runPolicyCommand(args, (l) => lines.push(l));
  return { code, out: lines.join('\n') };
}

it('an operator makes a key, signs a policy with it and anyone checks it with the public key', () => {
  const keyFile = path.join(dir, 'operator.key');
  const { out } = run('keygen', keyFile);
  const publicKey = out.replace('ATTESTATION_POLICY_KEY=', '');
  expect(publicKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  const policyFile = path.join(dir, 'policy.json');
  writeFileSync(
    policyFile,
    JSON.stringify({
      version: 1,
      issuedAt: new Date().toISOString(),
      sequence: 7,
      images: [{ name: 'vm', mrTd: 'ab'.repeat(48) }],
    }),
  );
  const signed = path.join(dir, 'signed.json');
  writeFileSync(signed, run('sign', keyFile, policyFile).out);
  const shown = JSON.parse(run('show', signed, publicKey).out);
  expect(shown).toMatchObject({ sequence: 7, tcbStatuses: ['UpToDate'], images: [{ name: 'vm' }] });
  // keygen never overwrites a key.
  expect(() => run('keygen', keyFile)).toThrow(/EEXIST/);
});

it('refuses a malformed policy with the field to fix, and prints usage for a bad command', () => {
  const keyFile = path.join(dir, 'operator.key');
  run('keygen', keyFile);
  const policyFile = path.join(dir, 'policy.json');
  writeFileSync(
    policyFile,
    JSON.stringify({ version: 1, issuedAt: 'yesterday', images: [{ name: 'vm', mrTd: 'xyz' }] }),
  );
  expect(() => run('sign', keyFile, policyFile)).toThrow(/issuedAt.*images\.0\.mrTd: must be 48 bytes/);
  expect(run('frobnicate')).toMatchObject({ code: 2, out: expect.stringMatching(/^usage:/) });
});

it('refuses to sign what clients would refuse: no sequence, or an issue date past the age they accept', () => {
  const keyFile = path.join(dir, 'operator.key');
  run('keygen', keyFile);
  const policyFile = path.join(dir, 'policy.json');
  const images = [{ name: 'vm', mrTd: 'ab'.repeat(48) }];
  writeFileSync(policyFile, JSON.stringify({ version: 1, issuedAt: new Date().toISOString(), images }));
  expect(() => run('sign', keyFile, policyFile)).toThrow(/sequence: required/);
  writeFileSync(
    policyFile,
    JSON.stringify({ version: 1, issuedAt: '2020-06-01T00:00:00Z', sequence: 2, images }),
  );
  expect(() => run('sign', keyFile, policyFile)).toThrow(
    /issuedAt: 2020-06-01T00:00:00Z is more than 180 days ago/,
  );
});
