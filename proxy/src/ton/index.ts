// The TON side of the proxy: chain adapters, deposit watcher, withdrawal sender, ton_proof.
export type {
  ChainAdapter,
  ContractMessage,
  GetMethodResult,
  InboundCursor,
  InboundTransfer,
  OutboundMessage,
  PreparedTransfer,
  SendTonArgs,
  TransferRef,
  TransferStatus,
  WalletTransaction,
} from './chain';
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
  createMemoryProofPayloadStore,
  createProofPayload,
  type ProofPayloadStore,
  publicKeyFromStateInit,
  signTonProof,
  TON_NETWORK,
  type TonProof,
  type TonProofFailure,
  tonProofSigningHash,
  type VerifyTonProofOptions,
  type VerifyTonProofResult,
  verifyTonProof,
} from './ton-proof';
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
