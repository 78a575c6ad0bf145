// What a client needs of the contracts without compiling them (the Mini App, the gateway, the shared
// client): the voucher cells and their signing, and the message bodies a wallet sends. Pure @ton/core and
// @ton/crypto, so it runs in the browser; '@cocoon/contracts' itself also compiles Tolk (Node only).
export * from './constants';
export * from './vouchers';
export { rigAccountMessages } from './wrappers/RigAccount';
export { userAccountMessages } from './wrappers/UserAccount';
