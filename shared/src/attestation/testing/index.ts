// TEST-ONLY ('@cocoon/shared/attestation/testing'): a synthetic TDX world (test root, collateral, quotes), a PCCS
// and a configfs-tsm stand-in, and the real sample quotes. Nothing outside tests imports this.
export * from './pccs-emulator';
export * from './samples';
export * from './synthetic-tdx';
export * from './tsm-emulator';
