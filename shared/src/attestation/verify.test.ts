// The evidence check on real and synthetic quotes. The real samples (testing/samples/, from dcap-qvl) verify against
// Intel's root at a fixed time inside their collateral's window; they can't bind this project's keys, so the
// binding and every bad input run on synthetic quotes made for a test root (testing/synthetic-tdx.ts), checked
// by the same library through its custom-root entry point.
import { readFileSync } from 'node:fs';
import { QuoteVerifier } from '@phala/dcap-qvl';
import { beforeAll, describe, expect, it } from 'vitest';
import { newEd25519KeyPair, newX25519KeyPair } from '../crypto/keys';
import type { AttestationPolicy } from './policy';
import { tdxReportData } from './report-data';
import { TDX_SAMPLE, TDX_SAMPLE_OUTDATED } from './testing/samples';
import { createSyntheticTdx, type SyntheticTdx } from './testing/synthetic-tdx';
import { type EvidenceInput, MAX_QUOTE_BYTES, verifyTdxEvidence } from './verify';

const x = newX25519KeyPair().publicKey;
const ed = newEd25519KeyPair().publicKey;
const challenge = new Uint8Array(32).fill(7);
const reportData = tdxReportData({ x25519PublicKey: x, ed25519PublicKey: ed, challenge });

let tdx: SyntheticTdx;
let policy: AttestationPolicy;
let input: EvidenceInput;

beforeAll(async () => {
  tdx = await createSyntheticTdx();
  policy = {
    version: 1,
    issuedAt: new Date().toISOString(),
    tcbStatuses: ['UpToDate'],
    images: [{ name: 'cocoon-worker-vm', ...tdx.measurements }],
  };
  input = {
    quote: tdx.quote(reportData),
    challenge,
    x25519PublicKey: x,
    ed25519PublicKey: ed,
    collateral: tdx.collateral(),
    policy,
    nowSecs: tdx.nowSecs,
    verifier: QuoteVerifier.newWithRootCa(tdx.rootCaDer),
  };
});

function sample(s: typeof TDX_SAMPLE) {
  return {
    quote: new Uint8Array(readFileSync(s.quotePath)),
    collateral: JSON.parse(readFileSync(s.collateralPath, 'utf8')),
  };
}

describe('real TDX quotes (dcap-qvl samples, Intel root)', () => {
  it('the sample verifies UpToDate, and is refused for binding other keys, since it was made for none of ours', () => {
    const { quote, collateral } = sample(TDX_SAMPLE);
    const v = verifyTdxEvidence({
      ...input,
      quote,
      collateral,
      nowSecs: TDX_SAMPLE.nowSecs,
      verifier: undefined,
    });
    // The crypto and TCB checks passed (Intel's root, real collateral): what stops it is our binding.
    expect(v).toMatchObject({ ok: false, code: 'binding', tcbStatus: 'UpToDate' });
    expect(v.ok ? null : v.measurements?.mrTd).toMatch(/^[0-9a-f]{96}$/);
  });

  it('the sample is refused once its collateral is past nextUpdate', () => {
    const { quote, collateral } = sample(TDX_SAMPLE);
    const later = TDX_SAMPLE.nowSecs + 60 * 86400;
    const v = verifyTdxEvidence({ ...input, quote, collateral, nowSecs: later, verifier: undefined });
    expect(v).toMatchObject({ ok: false, code: 'collateral_expired' });
  });

  it('the out-of-date sample is refused with the reason the library gives', () => {
    const { quote, collateral } = sample(TDX_SAMPLE_OUTDATED);
    const v = verifyTdxEvidence({
      ...input,
      quote,
      collateral,
      nowSecs: TDX_SAMPLE_OUTDATED.nowSecs,
      verifier: undefined,
    });
    expect(v).toMatchObject({ ok: false, code: 'invalid_quote' });
    expect(v.ok ? '' : v.reason).toMatch(/No matching TCB level/);
  });

  it('a synthetic quote does not verify against Intel’s root: the test root is trusted only where a test says so', () => {
    expect(verifyTdxEvidence({ ...input, verifier: undefined })).toMatchObject({
      ok: false,
      code: 'invalid_quote',
    });
  });
});

describe('evidence for this network (synthetic quotes, test root)', () => {
  it('a quote over the rig’s keys and the challenge, in an allowed image, verifies', () => {
    expect(verifyTdxEvidence(input)).toEqual({
      ok: true,
      tcbStatus: 'UpToDate',
      advisoryIds: [],
      measurements: tdx.measurements,
      image: 'cocoon-worker-vm',
    });
  });

  const cases: Array<[string, () => Partial<EvidenceInput>, string, RegExp]> = [
    [
      'one byte of the quote changed',
      () => {
        const q = input.quote.slice();
        q[200] ^= 1;
        return { quote: q };
      },
      'invalid_quote',
      /signature/i,
    ],
    [
      'report data binding other keys',
      () => ({ x25519PublicKey: newX25519KeyPair().publicKey }),
      'binding',
      /does not bind/,
    ],
    [
      'report data binding an old challenge',
      () => ({ challenge: new Uint8Array(32).fill(8) }),
      'binding',
      /does not bind/,
    ],
    [
      'collateral past nextUpdate',
      () => ({ collateral: tdx.collateral({ expired: true }) }),
      'collateral_expired',
      /expired/,
    ],
    [
      'a revoked PCK (CRL)',
      () => ({ quote: tdx.quote(reportData, { revokedPck: true }) }),
      'revoked',
      /revoked/,
    ],
    [
      'measurements outside the policy',
      () => ({ quote: tdx.quote(reportData, { mrTd: 'ab'.repeat(48) }) }),
      'measurements',
      /not one the policy allows/,
    ],
    [
      'an RTMR outside the policy',
      () => ({ quote: tdx.quote(reportData, { rtmr: { rtmr2: 'cd'.repeat(48) } }) }),
      'measurements',
      /not one the policy allows/,
    ],
    [
      'TCB OutOfDate',
      () => ({ collateral: tdx.collateral({ tcbStatus: 'OutOfDate' }) }),
      'tcb_status',
      /OutOfDate is not accepted/,
    ],
    ['a debug TD', () => ({ quote: tdx.quote(reportData, { debug: true }) }), 'invalid_quote', /Debug/],
    ['a garbage blob', () => ({ quote: new Uint8Array(600).fill(0x5a) }), 'malformed', /does not parse|TDX/],
    ['an empty blob', () => ({ quote: new Uint8Array(0) }), 'malformed', /does not parse/],
    [
      'a huge blob',
      () => ({ quote: new Uint8Array(MAX_QUOTE_BYTES + 1) }),
      'too_large',
      new RegExp(`at most ${MAX_QUOTE_BYTES}`),
    ],
  ];
  it.each(cases)('refuses %s, with its own reason', (_name, change, code, reason) => {
    const v = verifyTdxEvidence({ ...input, ...change() });
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.code).toBe(code);
    expect(v.reason).toMatch(reason);
  });

  it('a policy that accepts OutOfDate by name lets that TCB status through', () => {
    const v = verifyTdxEvidence({
      ...input,
      collateral: tdx.collateral({ tcbStatus: 'OutOfDate' }),
      policy: { ...policy, tcbStatuses: ['UpToDate', 'OutOfDate'] },
    });
    expect(v).toMatchObject({ ok: true, tcbStatus: 'OutOfDate' });
  });

  it('an RTMR the policy leaves out is not checked', () => {
    const { rtmr3: _any, ...image } = { name: 'any-rtmr3', ...tdx.measurements };
    const v = verifyTdxEvidence({
      ...input,
      quote: tdx.quote(reportData, { rtmr: { rtmr3: 'ef'.repeat(48) } }),
      policy: { ...policy, images: [image] },
    });
    expect(v).toMatchObject({ ok: true, image: 'any-rtmr3' });
  });
});
