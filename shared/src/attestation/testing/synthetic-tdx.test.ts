import { readFileSync } from 'node:fs';
import { type Collateral, QuoteVerifier, type TDReport10 } from '@phala/dcap-qvl';
import { beforeAll, describe, expect, it } from 'vitest';
import { TDX_SAMPLE, TDX_SAMPLE_OUTDATED, type TdxSample } from './samples';
import { createSyntheticTdx, type SyntheticTdx } from './synthetic-tdx';

describe('real TDX samples', () => {
  const verifySample = (sample: TdxSample) => {
    const collateral = JSON.parse(readFileSync(sample.collateralPath, 'utf8')) as Collateral;
    return () => QuoteVerifier.newProd().verify(readFileSync(sample.quotePath), collateral, sample.nowSecs);
  };

  it.each([
    ['tdx_quote', TDX_SAMPLE],
    ['tdx_quote_outdated', TDX_SAMPLE_OUTDATED],
  ])('%s gives its expected outcome at its fixed time', (_name, sample) => {
    const verify = verifySample(sample);
    if ('status' in sample.expected) expect(verify().status).toBe(sample.expected.status);
    else expect(verify).toThrow(sample.expected.error);
  });

  it('tdx_quote is refused once its collateral has expired', () => {
    expect(verifySample({ ...TDX_SAMPLE, nowSecs: Date.UTC(2025, 7, 1) / 1000 })).toThrow(/TCBInfo expired/);
  });
});

describe('synthetic TDX', () => {
  let tdx: SyntheticTdx;
  let verifier: QuoteVerifier;
  const reportData = Uint8Array.from({ length: 64 }, (_, i) => 255 - i);
  const td10 = (report: { report: { asTd10(): TDReport10 | null } }) => report.report.asTd10() as TDReport10;
  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

  beforeAll(async () => {
    tdx = await createSyntheticTdx();
    verifier = QuoteVerifier.newWithRootCa(tdx.rootCaDer);
  });

  it('verifies against the test root and binds the report data and measurements', () => {
    const verified = verifier.verify(tdx.quote(reportData), tdx.collateral(), tdx.nowSecs);
    expect(verified.status).toBe('UpToDate');
    expect(verified.advisory_ids).toEqual([]);
    const report = td10(verified);
    expect(hex(report.reportData)).toBe(hex(reportData));
    expect(hex(report.mrTd)).toBe(tdx.measurements.mrTd);
    expect([report.rtMr0, report.rtMr1, report.rtMr2, report.rtMr3].map(hex)).toEqual([
      tdx.measurements.rtmr0,
      tdx.measurements.rtmr1,
      tdx.measurements.rtmr2,
      tdx.measurements.rtmr3,
    ]);
  });

  it('reports overridden measurements', () => {
    const mrTd = 'ab'.repeat(48);
    const rtmr3 = 'cd'.repeat(48);
    const report = td10(
      verifier.verify(tdx.quote(reportData, { mrTd, rtmr: { rtmr3 } }), tdx.collateral(), tdx.nowSecs),
    );
    expect(hex(report.mrTd)).toBe(mrTd);
    expect(hex(report.rtMr3)).toBe(rtmr3);
    expect(hex(report.rtMr0)).toBe(tdx.measurements.rtmr0);
  });

  it('is not trusted under Intel’s root', () => {
    expect(() =>
      QuoteVerifier.newProd().verify(tdx.quote(reportData), tdx.collateral(), tdx.nowSecs),
    ).toThrow(/Failed to verify certificate chain/);
  });

  it.each(['OutOfDate', 'SWHardeningNeeded'] as const)(
    'gives status %s from matching collateral',
    (tcbStatus) => {
      const verified = verifier.verify(tdx.quote(reportData), tdx.collateral({ tcbStatus }), tdx.nowSecs);
      expect(verified.status).toBe(tcbStatus);
      expect(verified.advisory_ids).toEqual(['INTEL-SA-00000']);
    },
  );

  it('refuses a quote signed under a revoked PCK certificate', () => {
    expect(() =>
      verifier.verify(tdx.quote(reportData, { revokedPck: true }), tdx.collateral(), tdx.nowSecs),
    ).toThrow(/Certificate is revoked/);
  });

  it('refuses expired collateral', () => {
    expect(() =>
      verifier.verify(tdx.quote(reportData), tdx.collateral({ expired: true }), tdx.nowSecs),
    ).toThrow(/TCBInfo expired/);
  });

  it('refuses a debug TD', () => {
    expect(() =>
      verifier.verify(tdx.quote(reportData, { debug: true }), tdx.collateral(), tdx.nowSecs),
    ).toThrow(/Debug mode is enabled/);
  });

  it.each([
    ['header (PCESVN)', 10],
    ['MRTD', 48 + 136],
    ['report data', 48 + 584 - 1],
  ])('refuses a quote with one bit flipped in the signed %s', (_what, offset) => {
    const quote = tdx.quote(reportData);
    quote[offset] ^= 0x01;
    expect(() => verifier.verify(quote, tdx.collateral(), tdx.nowSecs)).toThrow(
      /ISV enclave report signature is invalid/,
    );
  });

  it('refuses collateral whose tcbInfo was altered after signing', () => {
    const collateral = tdx.collateral();
    const tampered = { ...collateral, tcb_info: collateral.tcb_info.replace('"UpToDate"', '"UpToDate" ') };
    expect(() => verifier.verify(tdx.quote(reportData), tampered, tdx.nowSecs)).toThrow(
      /Signature is invalid for tcb_info/,
    );
  });

  it('refuses report data that is not 64 bytes', () => {
    expect(() => tdx.quote(new Uint8Array(32))).toThrow(/64 bytes/);
  });
});
