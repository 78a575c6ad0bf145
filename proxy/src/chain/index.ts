// The TON chain as the proxy sees it: the adapters (sandbox, toncenter), the service wallet's deposit watcher
// and withdrawal sender, and reconciliation. Wallet proofs live in ../wallet; the money rules in ../custodial.
export type * from './chain';
export {
  type CursorStore,
  createDepositWatcher,
  createMemoryCursorStore,
  type DepositCredit,
  type DepositSink,
  type DepositWatcher,
  depositTxKey,
  parseDepositMemo,
} from './deposit-watcher';
export { summarizeWalletFlows, type WalletFlows, walletTransactionsSince } from './reconcile';
export {
  SandboxChain,
  type SandboxChainOptions,
  type SandboxUserWallet,
  type TonConnectMessage,
} from './sandbox-chain';
export { generateServiceKey, keyPairFromServiceKey, type ServiceKey, ServiceKeySchema } from './service-key';
export {
  ToncenterChain,
  type ToncenterConfig,
  ToncenterConfigSchema,
  ToncenterError,
} from './toncenter-chain';
export { MAX_TRANSFER_VALIDITY_S, normalizedExternalHash, readComment } from './wallet-tx';
export {
  createMemoryWithdrawalQueue,
  createWithdrawalSender,
  type PendingWithdrawal,
  type SentWithdrawal,
  type WithdrawalQueue,
  type WithdrawalSender,
} from './withdrawal-sender';
