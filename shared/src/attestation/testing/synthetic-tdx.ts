// TEST-ONLY. A synthetic Intel TDX attestation world: a throwaway root CA, the PCK/TCB PKI under it, collateral
// signed by it, and TDX v4 quotes binding arbitrary report data. It exists because no TDX machine is available to
// the tests; dcap-qvl verifies these quotes when given `rootCaDer` as its trust anchor. The root is generated per
// process and proves nothing: it must never appear in a policy, a config or any production code path.
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import { createHash, generateKeyPairSync, KeyObject, sign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { Collateral } from '@phala/dcap-qvl';

export type SyntheticTcbStatus = 'UpToDate' | 'OutOfDate' | 'SWHardeningNeeded';
export type RtmrName = 'rtmr0' | 'rtmr1' | 'rtmr2' | 'rtmr3';

export interface SyntheticTdxOptions {
  /** The time (unix seconds) at which certificates and collateral are valid; defaults to now. */
  nowSecs?: number;
}

export interface SyntheticCollateralOptions {
  tcbStatus?: SyntheticTcbStatus;
  /** tcbInfo and qeIdentity nextUpdate lie in the past relative to nowSecs. */
  expired?: boolean;
}

export interface SyntheticQuoteOptions {
  mrTd?: string;
  rtmr?: Partial<Record<RtmrName, string>>;
  /** Sign the QE report with a PCK certificate that the PCK CRL of collateral() lists. */
  revokedPck?: boolean;
  /** Set TDATTRIBUTES.TUD.DEBUG, which verifiers must reject. */
  debug?: boolean;
}

export interface SyntheticTdx {
  rootCaDer: Buffer;
  nowSecs: number;
  /** Lowercase hex, 48 bytes each: what quote() reports unless overridden. */
  measurements: { mrTd: string } & Record<RtmrName, string>;
  collateral(opts?: SyntheticCollateralOptions): Collateral;
  quote(reportData: Uint8Array, opts?: SyntheticQuoteOptions): Uint8Array;
}

// The SGX extension of a PCK certificate, as upstream dcap-qvl's tests/generate_test_certs.sh writes it:
// PPID, TCB (cpusvn 0B0B0202FF01000000000000000000, pcesvn 13), PCE-ID 0000, FMSPC 00906EA10000, SGX type 0.
const SGX_EXTENSION_OID = '1.2.840.113741.1.13.1';
const SGX_EXTENSION_DER =
  '308201C1301E060A2A864886F84D010D01010410D04EC06D4E6D92DC90D0AD3CF5EE2DDF30820164060A2A864886F84D010D0102308201543010060B2A864886F84D010D01020102010B3010060B2A864886F84D010D01020202010B3010060B2A864886F84D010D0102030201023010060B2A864886F84D010D0102040201023011060B2A864886F84D010D010205020200FF3010060B2A864886F84D010D0102060201013010060B2A864886F84D010D0102070201003010060B2A864886F84D010D0102080201003010060B2A864886F84D010D0102090201003010060B2A864886F84D010D01020A0201003010060B2A864886F84D010D01020B0201003010060B2A864886F84D010D01020C0201003010060B2A864886F84D010D01020D0201003010060B2A864886F84D010D01020E0201003010060B2A864886F84D010D01020F0201003010060B2A864886F84D010D0102100201003010060B2A864886F84D010D01021102010D301F060B2A864886F84D010D01021204100B0B0202FF01000000000000000000003010060A2A864886F84D010D0103040200003014060A2A864886F84D010D0104040600906EA10000300F060A2A864886F84D010D01050A0100';
// Must agree with SGX_EXTENSION_DER: TCB matching compares these against the tcbInfo levels.
const PCK_CPUSVN = [0x0b, 0x0b, 0x02, 0x02, 0xff, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const PCK_PCESVN = 13;
const FMSPC = '00906EA10000';

// The TDX module's TEE_TCB_SVN reported in the quote; tcbInfo's TDX components are compared against it.
const TEE_TCB_SVN = [0x05, 0x01, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

// QE report fields, mirrored in qeIdentity.
const QE_MRSIGNER = 'dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5';
const QE_ISVPRODID = 2;
const QE_ISVSVN = 4;
const QE_ATTRIBUTES = '11000000000000000000000000000000'; // INIT | MODE64BIT, not DEBUG
const INTEL_QE_VENDOR_ID = '939a7233f79c4ca9940a0db3957f0607';

const DAY_SECS = 86_400;
const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** Raw r||s over sha256(data): the form every DCAP signature takes. */
function signRaw(key: KeyObject, data: Uint8Array): Buffer {
  return sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
}

function hexBytes(hex: string, length: number, what: string): Buffer {
  const bytes = Buffer.from(hex, 'hex');
  if (bytes.length !== length || bytes.toString('hex') !== hex.toLowerCase()) {
    throw new Error(`${what} must be ${length} bytes of hex`);
  }
  return bytes;
}

/** PCS-style timestamps: ISO 8601 without milliseconds. */
function isoSecs(secs: number): string {
  return new Date(secs * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

async function newKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function issue(
  subject: string,
  serialNumber: string,
  issuer: { name: string; keys: CryptoKeyPair },
  keys: CryptoKeyPair,
  validity: { notBefore: Date; notAfter: Date },
  extensions: x509.Extension[],
): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.create(
    {
      serialNumber,
      subject,
      issuer: issuer.name,
      publicKey: keys.publicKey,
      signingKey: issuer.keys.privateKey,
      signingAlgorithm: SIGNING_ALGORITHM,
      ...validity,
      extensions,
    },
    webcrypto as Crypto,
  );
}

/** The same private key for node:crypto's synchronous sign(), which quote() needs. */
function syncSigner(keys: CryptoKeyPair): KeyObject {
  return KeyObject.from(keys.privateKey);
}

function pemChain(...certs: x509.X509Certificate[]): string {
  return `${certs.map((c) => c.toString('pem')).join('\n')}\n`;
}

function measurement(label: string): string {
  return createHash('sha384').update(`cocoon synthetic tdx ${label}`).digest('hex');
}

function svnComponents(svns: number[]): { svn: number }[] {
  return svns.map((svn) => ({ svn }));
}

export async function createSyntheticTdx(opts: SyntheticTdxOptions = {}): Promise<SyntheticTdx> {
  const nowSecs = opts.nowSecs ?? Math.floor(Date.now() / 1000);
  const validity = {
    notBefore: new Date((nowSecs - DAY_SECS) * 1000),
    notAfter: new Date((nowSecs + 365 * DAY_SECS) * 1000),
  };
  const ca = (pathLength?: number) => [
    new x509.BasicConstraintsExtension(true, pathLength, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
  ];
  const endEntity = () => [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation,
      true,
    ),
  ];
  const pckExtensions = () => [
    ...endEntity(),
    new x509.Extension(SGX_EXTENSION_OID, false, Buffer.from(SGX_EXTENSION_DER, 'hex')),
  ];

  const [rootKeys, pckCaKeys, tcbKeys, pckKeys, revokedPckKeys] = await Promise.all([
    newKeys(),
    newKeys(),
    newKeys(),
    newKeys(),
    newKeys(),
  ]);
  const rootName = 'CN=Cocoon TEST-ONLY SGX Root CA, O=Cocoon Synthetic, C=ZZ';
  const rootCert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: '01',
      name: rootName,
      keys: rootKeys,
      signingAlgorithm: SIGNING_ALGORITHM,
      ...validity,
      extensions: ca(1),
    },
    webcrypto as Crypto,
  );
  const root = { name: rootName, keys: rootKeys };
  // "Platform" in the name: dcap-qvl's getCollateral derives the PCK CRL's `ca` query parameter from the issuer.
  const pckCaName = 'CN=Cocoon TEST-ONLY SGX PCK Platform CA, O=Cocoon Synthetic, C=ZZ';
  const pckCa = { name: pckCaName, keys: pckCaKeys };
  const [pckCaCert, tcbCert, pckCert, revokedPckCert] = await Promise.all([
    issue(pckCaName, '02', root, pckCaKeys, validity, ca(0)),
    issue(
      'CN=Cocoon TEST-ONLY SGX TCB Signing, O=Cocoon Synthetic, C=ZZ',
      '03',
      root,
      tcbKeys,
      validity,
      endEntity(),
    ),
    issue(
      'CN=Cocoon TEST-ONLY SGX PCK Certificate, O=Cocoon Synthetic, C=ZZ',
      '04',
      pckCa,
      pckKeys,
      validity,
      pckExtensions(),
    ),
    issue(
      'CN=Cocoon TEST-ONLY SGX PCK Certificate (revoked), O=Cocoon Synthetic, C=ZZ',
      '05',
      pckCa,
      revokedPckKeys,
      validity,
      pckExtensions(),
    ),
  ]);
  const crlTimes = {
    thisUpdate: validity.notBefore,
    nextUpdate: validity.notAfter,
    signingAlgorithm: SIGNING_ALGORITHM,
  };
  const [rootCrl, pckCrl] = await Promise.all([
    x509.X509CrlGenerator.create(
      { issuer: rootName, signingKey: rootKeys.privateKey, ...crlTimes },
      webcrypto as Crypto,
    ),
    x509.X509CrlGenerator.create(
      {
        issuer: pckCaName,
        signingKey: pckCaKeys.privateKey,
        ...crlTimes,
        entries: [{ serialNumber: revokedPckCert.serialNumber, revocationDate: validity.notBefore }],
      },
      webcrypto as Crypto,
    ),
  ]);

  const tcbSigner = syncSigner(tcbKeys);
  const pckSigners = { good: syncSigner(pckKeys), revoked: syncSigner(revokedPckKeys) };
  const pckChains = {
    good: Buffer.from(pemChain(pckCert, pckCaCert, rootCert)),
    revoked: Buffer.from(pemChain(revokedPckCert, pckCaCert, rootCert)),
  };
  // One attestation key per world, as one QE would hold; quote() certifies it with a QE report per call.
  const attestation = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = attestation.publicKey.export({ format: 'jwk' });
  const attestationKey = {
    privateKey: attestation.privateKey,
    raw: Buffer.concat([
      Buffer.from(jwk.x as string, 'base64url'),
      Buffer.from(jwk.y as string, 'base64url'),
    ]),
  };
  const measurements = {
    mrTd: measurement('mrtd'),
    rtmr0: measurement('rtmr0'),
    rtmr1: measurement('rtmr1'),
    rtmr2: measurement('rtmr2'),
    rtmr3: measurement('rtmr3'),
  };

  return {
    rootCaDer: Buffer.from(rootCert.rawData),
    nowSecs,
    measurements,
    collateral: (copts = {}) =>
      buildCollateral(nowSecs, copts, tcbSigner, {
        rootCrl: Buffer.from(rootCrl.rawData),
        pckCrl: Buffer.from(pckCrl.rawData),
        pckCrlIssuerChain: pemChain(pckCaCert, rootCert),
        tcbIssuerChain: pemChain(tcbCert, rootCert),
      }),
    quote: (reportData, qopts = {}) => {
      const which = qopts.revokedPck ? 'revoked' : 'good';
      return buildQuote(reportData, qopts, measurements, attestationKey, pckSigners[which], pckChains[which]);
    },
  };
}

interface CollateralPki {
  rootCrl: Buffer;
  pckCrl: Buffer;
  pckCrlIssuerChain: string;
  tcbIssuerChain: string;
}

function buildCollateral(
  nowSecs: number,
  opts: SyntheticCollateralOptions,
  tcbSigner: KeyObject,
  pki: CollateralPki,
): Collateral {
  const status = opts.tcbStatus ?? 'UpToDate';
  // Expired collateral was issued a month ago and should have been refreshed yesterday.
  const issueDate = isoSecs(opts.expired ? nowSecs - 31 * DAY_SECS : nowSecs - 3600);
  const nextUpdate = isoSecs(opts.expired ? nowSecs - DAY_SECS : nowSecs + 30 * DAY_SECS);
  const tcbDate = isoSecs(nowSecs - 90 * DAY_SECS);
  const level = (sgx: number[], tdx: number[], tcbStatus: string, advisoryIDs: string[]) => ({
    tcb: { sgxtcbcomponents: svnComponents(sgx), pcesvn: PCK_PCESVN, tdxtcbcomponents: svnComponents(tdx) },
    tcbDate,
    tcbStatus,
    ...(advisoryIDs.length > 0 ? { advisoryIDs } : {}),
  });
  // A non-UpToDate status is expressed as Intel does: a newer UpToDate level the platform does not reach, then the
  // platform's own level carrying the status and an advisory.
  const newer = TEE_TCB_SVN.map((svn, i) => (i === 0 ? svn + 1 : svn));
  const tcbLevels =
    status === 'UpToDate'
      ? [level(PCK_CPUSVN, TEE_TCB_SVN, 'UpToDate', [])]
      : [
          level(PCK_CPUSVN, newer, 'UpToDate', []),
          level(PCK_CPUSVN, TEE_TCB_SVN, status, ['INTEL-SA-00000']),
        ];
  // The signed strings are compact JSON, as PCS serves them; dcap-qvl's getCollateral re-serialises what it fetches
  // with JSON.stringify, so any other formatting would break the signature after a round trip through a PCCS.
  const tcbInfo = JSON.stringify({
    id: 'TDX',
    version: 3,
    issueDate,
    nextUpdate,
    fmspc: FMSPC,
    pceId: '0000',
    tcbType: 0,
    tcbEvaluationDataNumber: 17,
    tcbLevels,
  });
  const qeIdentity = JSON.stringify({
    id: 'TD_QE',
    version: 2,
    issueDate,
    nextUpdate,
    tcbEvaluationDataNumber: 17,
    miscselect: '00000000',
    miscselectMask: 'FFFFFFFF',
    attributes: QE_ATTRIBUTES.toUpperCase(),
    attributesMask: 'FBFFFFFFFFFFFFFF0000000000000000',
    mrsigner: QE_MRSIGNER.toUpperCase(),
    isvprodid: QE_ISVPRODID,
    tcbLevels: [{ tcb: { isvsvn: QE_ISVSVN }, tcbDate, tcbStatus: 'UpToDate' }],
  });
  return {
    pck_crl_issuer_chain: pki.pckCrlIssuerChain,
    root_ca_crl: pki.rootCrl.toString('hex'),
    pck_crl: pki.pckCrl.toString('hex'),
    tcb_info_issuer_chain: pki.tcbIssuerChain,
    tcb_info: tcbInfo,
    tcb_info_signature: signRaw(tcbSigner, Buffer.from(tcbInfo)).toString('hex'),
    qe_identity_issuer_chain: pki.tcbIssuerChain,
    qe_identity: qeIdentity,
    qe_identity_signature: signRaw(tcbSigner, Buffer.from(qeIdentity)).toString('hex'),
  };
}

/** Little-endian integer fields, the only kind a quote has. */
function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function certificationData(type: number, body: Buffer): Buffer {
  return Buffer.concat([u16(type), u32(body.length), body]);
}

const CERT_DATA_PCK_CHAIN = 5;
const CERT_DATA_QE_REPORT = 6;

function buildQuote(
  reportData: Uint8Array,
  opts: SyntheticQuoteOptions,
  measurements: SyntheticTdx['measurements'],
  attestationKey: { privateKey: KeyObject; raw: Buffer },
  pckKey: KeyObject,
  pckChain: Buffer,
): Uint8Array {
  if (reportData.length !== 64) throw new Error('reportData must be 64 bytes');
  const m48 = (hex: string, what: string) => hexBytes(hex, 48, what);
  const header = Buffer.concat([
    u16(4), // quote version
    u16(2), // attestation key type: ECDSA-256 with P-256
    u32(0x81), // TEE type: TDX
    u16(0), // reserved for TDX
    u16(PCK_PCESVN),
    Buffer.from(INTEL_QE_VENDOR_ID, 'hex'),
    Buffer.alloc(20), // user data (QE id)
  ]);
  // TDATTRIBUTES: byte 0 is TUD (bit 0 = DEBUG); bit 28 (byte 3, 0x10) is SEPT_VE_DISABLE, which verifiers require.
  const tdAttributes = Buffer.from([opts.debug ? 0x01 : 0x00, 0, 0, 0x10, 0, 0, 0, 0]);
  const rtmr = { ...measurements, ...opts.rtmr };
  const tdReport = Buffer.concat([
    Buffer.from(TEE_TCB_SVN),
    Buffer.from(measurement('mrseam'), 'hex'),
    Buffer.alloc(48), // MRSIGNERSEAM: zero for Intel's TDX module
    Buffer.alloc(8), // SEAMATTRIBUTES
    tdAttributes,
    Buffer.from('e718060000000000', 'hex'), // XFAM
    m48(opts.mrTd ?? measurements.mrTd, 'mrTd'),
    Buffer.alloc(48), // MRCONFIGID
    Buffer.alloc(48), // MROWNER
    Buffer.alloc(48), // MROWNERCONFIG
    m48(rtmr.rtmr0, 'rtmr0'),
    m48(rtmr.rtmr1, 'rtmr1'),
    m48(rtmr.rtmr2, 'rtmr2'),
    m48(rtmr.rtmr3, 'rtmr3'),
    Buffer.from(reportData),
  ]);
  const signed = Buffer.concat([header, tdReport]);

  // The QE vouches for the attestation key: its report data starts with sha256(attestation key || QE auth data).
  const qeAuthData = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
  const qeReportData = Buffer.alloc(64);
  createHash('sha256').update(attestationKey.raw).update(qeAuthData).digest().copy(qeReportData);
  const qeReport = Buffer.concat([
    Buffer.from(PCK_CPUSVN),
    u32(0), // MISCSELECT
    Buffer.alloc(28),
    Buffer.from(QE_ATTRIBUTES, 'hex'),
    Buffer.from(measurement('qe mrenclave').slice(0, 64), 'hex'), // MRENCLAVE
    Buffer.alloc(32),
    Buffer.from(QE_MRSIGNER, 'hex'),
    Buffer.alloc(96),
    u16(QE_ISVPRODID),
    u16(QE_ISVSVN),
    Buffer.alloc(60),
    qeReportData,
  ]);
  const qeCertification = Buffer.concat([
    qeReport,
    signRaw(pckKey, qeReport),
    u16(qeAuthData.length),
    qeAuthData,
    certificationData(CERT_DATA_PCK_CHAIN, pckChain),
  ]);
  const authData = Buffer.concat([
    signRaw(attestationKey.privateKey, signed),
    attestationKey.raw,
    certificationData(CERT_DATA_QE_REPORT, qeCertification),
  ]);
  return new Uint8Array(Buffer.concat([signed, u32(authData.length), authData]));
}
