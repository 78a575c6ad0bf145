// Checks a rig's TDX evidence: the quote against Intel's certificate chain and the collateral (by
// @phala/dcap-qvl, a maintained verifier: no hand-written quote crypto here), then against this network's
// rules: the quote binds the keys a client seals to and the challenge it answered (report-data.ts), its TCB
// status and measured image are ones the operator's policy accepts. The proxy runs it when a rig sends
// evidence; the client runs it again before it seals to a candidate, so the proxy's word is never enough.
// Imported lazily by the client (the Mini App keeps the verifier out of its entry chunk).
import { type Collateral, Quote, QuoteVerifier, type VerifiedReport } from '@phala/dcap-qvl';
import { toHex } from '../bytes';
import type { AttestationPolicy, MeasuredImage } from './policy';
import { tdxReportData } from './report-data';

/** A real TDX quote with its PCK chain is about 5 KB; anything past this is refused before it is parsed. */
export const MAX_QUOTE_BYTES = 16 * 1024;

const TEE_TYPE_TDX = 0x81;

export type { Collateral };

/** What verifies a quote's signatures and TCB: Intel's root in production, a test root only in tests. */
export interface QuoteVerifierLike {
  verify(rawQuote: Uint8Array, collateral: Collateral, nowSecs: number): VerifiedReport;
}

export const intelQuoteVerifier: QuoteVerifierLike = QuoteVerifier.newProd();

export interface Measurements {
  mrTd: string;
  rtmr0: string;
  rtmr1: string;
  rtmr2: string;
  rtmr3: string;
}

/** Why evidence failed, one code per kind of failure (the proxy stores it, the Rigs page shows it). */
export type EvidenceFailure =
  | 'too_large'
  | 'malformed'
  | 'not_tdx'
  | 'invalid_quote'
  | 'revoked'
  | 'collateral_expired'
  | 'tcb_status'
  | 'measurements'
  | 'binding';

export type EvidenceVerdict =
  | { ok: true; tcbStatus: string; advisoryIds: string[]; measurements: Measurements; image: string }
  | { ok: false; code: EvidenceFailure; reason: string; measurements?: Measurements; tcbStatus?: string };

export interface EvidenceInput {
  quote: Uint8Array;
  challenge: Uint8Array;
  x25519PublicKey: Uint8Array;
  ed25519PublicKey: Uint8Array;
  collateral: Collateral;
  policy: AttestationPolicy;
  nowSecs: number;
  verifier?: QuoteVerifierLike;
}

/** Parses a quote's header only as far as needed to fetch its collateral; throws a readable error. */
export function parseTdxQuote(quote: Uint8Array): Quote {
  if (quote.length > MAX_QUOTE_BYTES) {
    throw new EvidenceError('too_large', `the quote is ${quote.length} bytes; at most ${MAX_QUOTE_BYTES}`);
  }
  let parsed: Quote;
  try {
    parsed = Quote.parse(quote);
  } catch (err) {
    throw new EvidenceError('malformed', `the quote does not parse: ${(err as Error).message}`);
  }
  if (parsed.header.teeType !== TEE_TYPE_TDX) {
    throw new EvidenceError('not_tdx', `the quote is not a TDX quote (TEE type ${parsed.header.teeType})`);
  }
  return parsed;
}

export class EvidenceError extends Error {
  override name = 'EvidenceError';
  constructor(
    readonly code: EvidenceFailure,
    message: string,
  ) {
    super(message);
  }
}

export function verifyTdxEvidence(input: EvidenceInput): EvidenceVerdict {
  try {
    return check(input);
  } catch (err) {
    if (err instanceof EvidenceError) return { ok: false, code: err.code, reason: err.message };
    throw err;
  }
}

function check(input: EvidenceInput): EvidenceVerdict {
  const quote = parseTdxQuote(input.quote);
  let report: VerifiedReport;
  try {
    report = (input.verifier ?? intelQuoteVerifier).verify(input.quote, input.collateral, input.nowSecs);
  } catch (err) {
    const why = libraryReason(err);
    throw new EvidenceError(classify(why), `the quote does not verify: ${why}`);
  }
  const td = quote.report.asTd10() ?? quote.report.asTd15()?.base;
  if (!td) throw new EvidenceError('not_tdx', 'the quote carries no TD report');
  const measurements: Measurements = {
    mrTd: toHex(td.mrTd),
    rtmr0: toHex(td.rtMr0),
    rtmr1: toHex(td.rtMr1),
    rtmr2: toHex(td.rtMr2),
    rtmr3: toHex(td.rtMr3),
  };
  const expected = tdxReportData(input);
  if (!bytesEqual(td.reportData, expected)) {
    return {
      ok: false,
      code: 'binding',
      reason: "the quote's report data does not bind this rig's keys and this challenge",
      measurements,
      tcbStatus: report.status,
    };
  }
  if (!input.policy.tcbStatuses.includes(report.status as never)) {
    return {
      ok: false,
      code: 'tcb_status',
      reason: `TCB status ${report.status} is not accepted by the policy (it accepts ${input.policy.tcbStatuses.join(', ')})`,
      measurements,
      tcbStatus: report.status,
    };
  }
  const image = input.policy.images.find((i) => imageMatches(i, measurements));
  if (!image) {
    return {
      ok: false,
      code: 'measurements',
      reason: `the measured image (MRTD ${measurements.mrTd.slice(0, 16)}…) is not one the policy allows`,
      measurements,
      tcbStatus: report.status,
    };
  }
  return {
    ok: true,
    tcbStatus: report.status,
    advisoryIds: [...report.advisory_ids],
    measurements,
    image: image.name,
  };
}

function imageMatches(image: MeasuredImage, m: Measurements): boolean {
  return (
    image.mrTd === m.mrTd &&
    (['rtmr0', 'rtmr1', 'rtmr2', 'rtmr3'] as const).every((r) => image[r] === undefined || image[r] === m[r])
  );
}

/** The library's message, with its cause when it wraps one ("Failed to decode quote: …"). */
function libraryReason(err: unknown): string {
  const e = err as Error & { cause?: Error };
  const msg = e?.message ?? String(err);
  return e?.cause?.message ? `${msg}: ${e.cause.message}` : msg;
}

function classify(reason: string): EvidenceFailure {
  if (/revoked/i.test(reason)) return 'revoked';
  if (/expired|not yet valid|in the future/i.test(reason)) return 'collateral_expired';
  if (/decode|parse/i.test(reason)) return 'malformed';
  return 'invalid_quote';
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
