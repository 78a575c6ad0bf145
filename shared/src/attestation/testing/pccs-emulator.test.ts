import { getCollateral, QuoteVerifier } from '@phala/dcap-qvl';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type PccsEmulator, startPccsEmulator } from './pccs-emulator';
import { createSyntheticTdx, type SyntheticTdx } from './synthetic-tdx';

describe('PCCS emulator', () => {
  let tdx: SyntheticTdx;
  let pccs: PccsEmulator | undefined;
  const reportData = new Uint8Array(64).fill(0x5a);

  beforeAll(async () => {
    tdx = await createSyntheticTdx();
  });
  afterEach(async () => {
    await pccs?.close();
    pccs = undefined;
  });

  it('serves collateral that dcap-qvl fetches and verifies', async () => {
    pccs = await startPccsEmulator(tdx);
    const quote = tdx.quote(reportData);
    const collateral = await getCollateral(pccs.url, quote);
    // pck crl, tcb info, qe identity, root ca crl
    expect(pccs.requests).toBe(4);
    const verified = QuoteVerifier.newWithRootCa(tdx.rootCaDer).verify(quote, collateral, tdx.nowSecs);
    expect(verified.status).toBe('UpToDate');
  });

  it('serves the collateral options it was started with', async () => {
    pccs = await startPccsEmulator(tdx, { tcbStatus: 'OutOfDate' });
    const quote = tdx.quote(reportData);
    const verifier = QuoteVerifier.newWithRootCa(tdx.rootCaDer);
    expect(verifier.verify(quote, await getCollateral(pccs.url, quote), tdx.nowSecs).status).toBe(
      'OutOfDate',
    );
    await pccs.close();

    pccs = await startPccsEmulator(tdx, { expired: true });
    const expired = await getCollateral(pccs.url, quote);
    expect(() => verifier.verify(quote, expired, tdx.nowSecs)).toThrow(/TCBInfo expired/);
  });

  it('answers other paths with 404', async () => {
    pccs = await startPccsEmulator(tdx);
    const res = await fetch(`${pccs.url}/sgx/certification/v4/tcb?fmspc=00906EA10000`);
    expect(res.status).toBe(404);
    expect(pccs.requests).toBe(1);
  });
});
