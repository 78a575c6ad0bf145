import { QuoteVerifier } from '@phala/dcap-qvl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollateralCache, earliestNextUpdate, pccsFetcher } from './collateral';
import { createSyntheticTdx, type PccsEmulator, type SyntheticTdx, startPccsEmulator } from './testing/index';

let tdx: SyntheticTdx;
let pccs: PccsEmulator;
beforeAll(async () => {
  tdx = await createSyntheticTdx();
  pccs = await startPccsEmulator(tdx);
});
afterAll(() => pccs.close());

const data = (n: number) => new Uint8Array(64).fill(n);

describe('collateral from a PCCS', () => {
  it('one fetch serves every quote of a platform family until the earliest nextUpdate', async () => {
    let now = tdx.nowSecs * 1000;
    const cache = new CollateralCache(pccsFetcher(pccs.url), () => now);
    const first = await cache.forQuote(tdx.quote(data(1)));
    await cache.forQuote(tdx.quote(data(2)));
    expect(cache.fetches).toBe(1);
    now = earliestNextUpdate(first) + 1;
    await cache.forQuote(tdx.quote(data(3)));
    expect(cache.fetches).toBe(2);
  });

  it('each quote is checked with its own PCK chain, not a cached sibling’s (a revoked PCK still fails)', async () => {
    const cache = new CollateralCache(pccsFetcher(pccs.url), () => tdx.nowSecs * 1000);
    const verifier = QuoteVerifier.newWithRootCa(tdx.rootCaDer);
    const good = tdx.quote(data(4));
    expect(verifier.verify(good, await cache.forQuote(good), tdx.nowSecs).status).toBe('UpToDate');
    const revoked = tdx.quote(data(5), { revokedPck: true });
    expect(() => verifier.verify(revoked, tdx.collateral(), tdx.nowSecs)).toThrow(/revoked/);
    const collateral = await cache.forQuote(revoked);
    expect(cache.fetches).toBe(1);
    expect(() => verifier.verify(revoked, collateral, tdx.nowSecs)).toThrow(/revoked/);
  });

  it('a PCCS that does not answer fails the fetch with its address, and the failure is not cached', async () => {
    const cache = new CollateralCache(pccsFetcher('http://127.0.0.1:9'), () => tdx.nowSecs * 1000);
    await expect(cache.forQuote(tdx.quote(data(6)))).rejects.toThrow();
    await expect(cache.forQuote(tdx.quote(data(6)))).rejects.toThrow();
    expect(cache.fetches).toBe(2);
  });
});
