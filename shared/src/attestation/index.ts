// The TDX verifier and its collateral cache: a separate entry point ('@cocoon/shared/attestation'), because
// it carries @phala/dcap-qvl and its ASN.1 and elliptic-curve code, which the Mini App loads only on demand.
export * from './collateral';
export * from './verify';
