// The worker's configfs-tsm reader against a directory laid out like the kernel's report interface by the
// test's stand-in (shared/src/attestation/testing/tsm-emulator.ts): no TDX machine is here, so the stand-in
// answers instead of the TDX guest driver, through the same files.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fromBase64, tdxReportData } from '@cocoon/shared';
import { startTsmEmulator, type TsmEmulator } from '@cocoon/shared/attestation/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateKeys } from '../keys';
import { detectTdx, tdxQuote } from './configfs-tsm';
import { resolveTee } from './index';

let dir: string;
let root: string;
let emulator: TsmEmulator | undefined;
// The stand-in's "quote": a marker and the report data it was asked for, so a test sees what was bound.
const fakeQuote = (reportData: Uint8Array) => new Uint8Array([0xdd, ...reportData]);

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cocoon-tsm-'));
  root = path.join(dir, 'report');
  mkdirSync(root);
});
afterEach(() => {
  emulator?.stop();
  emulator = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('configfs-tsm', () => {
  it('finds TDX where the report interface names the tdx_guest provider, and says why not elsewhere', async () => {
    emulator = startTsmEmulator(root, fakeQuote);
    expect(await detectTdx(root)).toMatchObject({ tdx: true });
    expect(await detectTdx(path.join(dir, 'absent'))).toEqual({
      tdx: false,
      why: `no configfs-tsm at ${path.join(dir, 'absent')}`,
    });
  });

  it('writes the report data to inblob and reads back the quote made for it, again and again', async () => {
    emulator = startTsmEmulator(root, fakeQuote);
    for (const fill of [1, 2, 3]) {
      const reportData = new Uint8Array(64).fill(fill);
      expect(await tdxQuote(reportData, root)).toEqual(fakeQuote(reportData));
    }
  });

  it('refuses report data that is not 64 bytes', async () => {
    await expect(tdxQuote(new Uint8Array(32), root)).rejects.toThrow(/64 bytes/);
  });
});

describe('--tee', () => {
  const keys = () => loadOrCreateKeys(path.join(dir, 'keys'));

  it('tdx: the evidence is a quote over the rig’s keys and the proxy’s challenge', async () => {
    emulator = startTsmEmulator(root, fakeQuote);
    const k = keys();
    const tee = await resolveTee('tdx', k, { tsmDir: root, log: () => {} });
    const challenge = new Uint8Array(32).fill(9);
    const evidence = await tee.evidence(challenge);
    expect(evidence.kind).toBe('tdx');
    if (evidence.kind !== 'tdx') return;
    const expected = tdxReportData({
      x25519PublicKey: k.x25519.publicKey,
      ed25519PublicKey: k.ed25519.publicKey,
      challenge,
    });
    expect(fromBase64(evidence.quote)).toEqual(fakeQuote(expected));
    expect(fromBase64(evidence.challenge)).toEqual(challenge);
  });

  it('tdx without configfs-tsm stops the worker with what to do; auto says in one line that it is open', async () => {
    const absent = path.join(dir, 'absent');
    await expect(resolveTee('tdx', keys(), { tsmDir: absent, log: () => {} })).rejects.toThrow(
      /--tee tdx, but no configfs-tsm .*use --tee none/,
    );
    const lines: string[] = [];
    const tee = await resolveTee('auto', keys(), { tsmDir: absent, log: (l) => lines.push(l) });
    expect(tee.kind).toBe('none');
    expect(lines).toEqual([`no TDX here (no configfs-tsm at ${absent}): open tier`]);
  });

  it('auto picks TDX when configfs-tsm offers it', async () => {
    emulator = startTsmEmulator(root, fakeQuote);
    const lines: string[] = [];
    const tee = await resolveTee('auto', keys(), { tsmDir: root, log: (l) => lines.push(l) });
    expect(tee.kind).toBe('tdx');
    expect(lines[0]).toMatch(/^TDX guest \(configfs-tsm provider tdx_guest\)/);
  });
});
