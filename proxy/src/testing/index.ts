// @cocoon/proxy/testing: what tests and harnesses in other packages use to run a proxy and play its rigs.
export {
  openTestDb,
  PRODUCTION_SECRETS,
  resetDb,
  spendableNano,
  startTestProxy,
  testConfig,
  userAuth,
  userClient,
} from './harness';
export { OP_VALUE, onchainUser, userWithWallet, walletSends } from './onchain-users';
export { canarySpellings, databaseDump } from './privacy';
export { anonClient, type DevWallet, depositVia, devWallet, proofBody } from './sandbox-wallets';
export {
  promptTokensOf,
  sealedResultWithReceipt,
  startTestWorker,
  type TestWorker,
  type TestWorkerBehaviour,
  type TestWorkerOptions,
  testModelOutput,
  words,
} from './test-worker';
