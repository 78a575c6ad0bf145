// @cocoon/contracts: the on-chain accounts of docs/on-chain-accounts.md (Tolk sources in ../tolk), their
// compiled code, @ton/core wrappers and the voucher cells the off-chain code signs.
export * from './compile';
export * from './constants';
export * from './vouchers';
export * from './wrappers/RigAccount';
export * from './wrappers/UserAccount';
export * from './wrappers/Vault';
