// Collateral for TDX quotes (Intel's TCB info, QE identity and CRLs for a platform family), fetched from a
// PCCS and kept until the earliest `nextUpdate` it carries, or a day at most, so CRL updates still arrive.
// Every quote of one platform family (FMSPC) and PCK issuer shares that collateral: one fetch serves them all.
// The PCK certificate chain is the platform's own, not the family's: a quote that carries its chain (cert
// type 5, as TDX quotes do) is verified with that chain, never with another quote's from the cache (a
// platform whose PCK was revoked since must not pass on a sibling's certificate). A quote that doesn't carry
// it (an encrypted PPID) gets an entry of its own.
import { sha256 } from '@noble/hashes/sha2.js';
import { type Collateral, getCollateral, intel, type Quote } from '@phala/dcap-qvl';
import { toHex } from '../bytes';
import { parseTdxQuote } from './verify';

const MAX_AGE_MS = 24 * 3600_000;
const FETCH_TIMEOUT_MS = 10_000;
/** Platform families a cache keeps at once; a flood of made-up FMSPCs must not grow it without end. */
const MAX_ENTRIES = 256;

export type CollateralFetcher = (quote: Uint8Array) => Promise<Collateral>;

/** Fetches from a PCCS (or Intel's PCS) by its base URL, as dcap-qvl does, bounded in time. */
export function pccsFetcher(pccsUrl: string): CollateralFetcher {
  return (quote) =>
    withTimeout(getCollateral(pccsUrl, quote), FETCH_TIMEOUT_MS, `the PCCS at ${pccsUrl} did not answer`);
}

export class CollateralCache {
  private readonly entries = new Map<string, { collateral: Promise<Collateral>; until: number }>();
  fetches = 0;

  constructor(
    private readonly fetcher: CollateralFetcher,
    private readonly now: () => number = Date.now,
  ) {}

  /** The collateral for a quote's platform family: from the cache while it is current, else fetched. */
  async forQuote(quote: Uint8Array): Promise<Collateral> {
    const parsed = parseTdxQuote(quote);
    const ownChain = carriesPckChain(parsed) ? new TextDecoder().decode(parsed.rawCertChain()) : null;
    const family = `${toHex(intel.getFmspc(parsed))}/${intel.getCa(parsed)}`;
    const key = ownChain ? family : `${family}/${toHex(sha256(parsed.rawCertChain()))}`;
    const withOwnChain = (c: Collateral) => (ownChain ? { ...c, pck_certificate_chain: ownChain } : c);
    const hit = this.entries.get(key);
    if (hit && hit.until > this.now()) return withOwnChain(await hit.collateral);
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.fetches++;
    const collateral = this.fetcher(quote);
    // Until it settles, callers share the fetch; a failed fetch is forgotten at once.
    const entry = { collateral, until: this.now() + MAX_AGE_MS };
    this.entries.set(key, entry);
    try {
      entry.until = Math.min(entry.until, earliestNextUpdate(await collateral));
    } catch (err) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw err;
    }
    return withOwnChain(await collateral);
  }
}

/** PCK_ID_PCK_CERT_CHAIN: the quote carries its PCK certificate chain (dcap-qvl's `innerCertType`). */
const PCK_CERT_CHAIN = 5;

function carriesPckChain(quote: Quote): boolean {
  return (quote as Quote & { innerCertType(): number }).innerCertType() === PCK_CERT_CHAIN;
}

/** The earliest `nextUpdate` of the collateral's TCB info and QE identity, in ms. */
export function earliestNextUpdate(c: Collateral): number {
  const times = [c.tcb_info, c.qe_identity].map((json) => {
    try {
      return Date.parse(JSON.parse(json).nextUpdate);
    } catch {
      return Number.NaN;
    }
  });
  const valid = times.filter((t) => Number.isFinite(t));
  return valid.length ? Math.min(...valid) : 0;
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}
