// Real TDX quotes from upstream dcap-qvl (see samples/README.md), with a fixed verification time inside each
// collateral's validity window (tcbInfo and qeIdentity issueDate..nextUpdate, and every certificate's validity),
// and what dcap-qvl 0.3.9's QuoteVerifier.newProd() makes of them at that time.
import { fileURLToPath } from 'node:url';

const fixture = (name: string) => fileURLToPath(new URL(`./samples/${name}`, import.meta.url));

export interface TdxSample {
  quotePath: string;
  collateralPath: string;
  nowSecs: number;
  /** The verified status, or the error verify() throws. */
  expected: { status: string } | { error: RegExp };
}

/** tcbInfo valid 2025-06-19T10:16:03Z..2025-07-19T10:16:03Z; verified at 2025-07-01T00:00:00Z. */
export const TDX_SAMPLE: TdxSample = {
  quotePath: fixture('tdx_quote'),
  collateralPath: fixture('tdx_quote_collateral.json'),
  nowSecs: Date.UTC(2025, 6, 1) / 1000,
  expected: { status: 'UpToDate' },
};

/**
 * tcbInfo valid 2026-02-18T10:58:51Z..2026-03-20T10:58:51Z; verified at 2026-03-01T00:00:00Z. Upstream only uses
 * this sample with a TCB override: its PCK's CPUSVN component 7 is 0 while every TCB level requires 5, so plain
 * verification finds no TCB level at all rather than an OutOfDate one.
 */
export const TDX_SAMPLE_OUTDATED: TdxSample = {
  quotePath: fixture('tdx_quote_outdated'),
  collateralPath: fixture('tdx_quote_outdated_collateral.json'),
  nowSecs: Date.UTC(2026, 2, 1) / 1000,
  expected: { error: /No matching TCB level found/ },
};
