// The one interface the ledger and routes use to talk to TON, whichever chain is behind it.
import type { Cell, TupleReader } from '@ton/core';
// Implementations: SandboxChain (in-process @ton/sandbox, local default and test chain) and
// ToncenterChain (TON HTTP API v2, testnet/mainnet). Both parse the same raw transaction BoCs
// through wallet-tx.ts, so deposits, fees and confirmations mean the same thing on both.

/** A successful inbound internal transfer with value to the service wallet (bounces excluded). */
export type InboundTransfer = {
  /** Transaction hash, lowercase hex (the hash of the transaction cell). */
  txHash: string;
  lt: bigint;
  /** Sender, user-friendly, non-bounceable form. */
  from: string;
  amountNano: bigint;
  /** Text comment (op 0 + UTF-8) if the body had one. */
  comment: string | null;
  utime: number;
  /**
   * Set by the sandbox chain only, on the one transfer it controls itself: its treasury deploying and
   * funding the service wallet (the local chain's float, nobody's deposit). Never set on testnet/mainnet.
   */
  sandboxFunding?: true;
};

/** One outbound message of a service-wallet transaction. */
export type OutboundMessage = {
  to: string;
  amountNano: bigint;
  forwardFeeNano: bigint;
  comment: string | null;
};

/** A service-wallet transaction reduced to what money code needs. */
export type WalletTransaction = {
  txHash: string;
  lt: bigint;
  utime: number;
  /** 'internal' (a transfer in), 'external' (our own signed send), or 'none'. */
  inKind: 'internal' | 'external' | 'none';
  /** Value credited by the inbound internal message (0 for externals, or when it bounced back). */
  creditedNano: bigint;
  inbound: InboundTransfer | null;
  /** TEP-467 normalized hash (hex) of the inbound external message, when there is one. */
  externalHash: string | null;
  outbound: OutboundMessage[];
  /** Everything the account paid in this transaction: total_fees + forward fees of the messages it sent. */
  feesPaidNano: bigint;
  /** total_fees as reported by the transaction (storage + gas + action share of forward fees). */
  totalFeesNano: bigint;
  /** Compute and action phases succeeded and the transaction was not aborted. */
  success: boolean;
  /** Balance delta this transaction caused: credited − sent − feesPaid. */
  balanceDeltaNano: bigint;
};

/**
 * Opaque, JSON-serialisable position in the service wallet's transaction history.
 * `lt`/`hash` is the newest transaction fully scanned; `resume` is set while a long backlog is
 * being walked back in bounded steps. Persist it as JSON; correctness never depends on it
 * (the ledger keys credits by txKey), it only saves work.
 */
export type InboundCursor = {
  lt: string;
  hash: string;
  resume?: { topLt: string; topHash: string; nextLt: string; nextHash: string };
};

export type SendTonArgs = {
  to: string;
  amountNano: bigint;
  comment?: string | null;
  /** Unix seconds after which the wallet rejects the message; default now + 60. */
  validUntil?: number;
};

/** A signed external message for the service wallet, not yet broadcast. */
export type PreparedTransfer = {
  /** TEP-467 normalized external-message hash, lowercase hex: how the transaction is found later. */
  externalHash: string;
  /** The wallet seqno the message consumes; a given seqno can land at most once. */
  seqno: number;
  /** After this unix time the message can never land. */
  validUntil: number;
  /** The external message BoC, base64. */
  boc: string;
};

export type TransferStatus =
  | { status: 'pending' }
  | { status: 'confirmed'; txHash: string; lt: bigint; feesPaidNano: bigint }
  /** The wallet ran the message but the transfer did not go out (e.g. not enough balance). */
  | { status: 'failed'; txHash: string; lt: bigint; reason: string }
  /** Not on chain and can never land (validUntil passed, or its seqno was used by another message). */
  | { status: 'expired' };

export type TransferRef = Pick<PreparedTransfer, 'externalHash' | 'seqno' | 'validUntil'>;

/** An internal message to a contract from the service wallet: a call with a body, or a deploy with `init`. */
export type ContractMessage = {
  to: string;
  amountNano: bigint;
  body?: Cell;
  init?: { code: Cell; data: Cell };
  /** Contract calls bounce by default, so a refused call brings its value back. */
  bounce?: boolean;
};

/** What a get-method left on the stack: numbers and cells, in order. */
export type GetMethodResult = TupleReader;

export interface ChainAdapter {
  readonly kind: 'sandbox' | 'toncenter';
  /**
   * Service wallet address, user-friendly NON-bounceable ("UQ…"/"0Q…" on testnet). Deposits come
   * from wallets, and non-bounceable is what wallets show for a receiving wallet address.
   */
  serviceAddress(): string;
  getBalance(): Promise<bigint>;
  /** Current seqno of the service wallet (0 when not deployed yet). */
  getSeqno(): Promise<number>;
  /** New inbound transfers since the cursor, oldest first. May repeat transfers: callers dedupe by txHash:lt. */
  listInboundTransfers(
    sinceCursor?: InboundCursor | null,
  ): Promise<{ transfers: InboundTransfer[]; cursor: InboundCursor | null }>;
  /** Newest-first service wallet transactions, at most `limit`, older than `before` when given. */
  listWalletTransactions(opts?: {
    limit?: number;
    before?: { lt: bigint; hash: string };
  }): Promise<WalletTransaction[]>;
  /** Sign a transfer from the service wallet without sending it (store its ref first, then broadcast). */
  prepareTransfer(args: SendTonArgs): Promise<PreparedTransfer>;
  /** Broadcast an external message BoC (base64). */
  sendExternalBoc(boc: string): Promise<void>;
  /** prepareTransfer + sendExternalBoc. */
  sendTon(args: SendTonArgs): Promise<PreparedTransfer>;
  /** Where a prepared transfer stands: pending → confirmed | failed | expired. */
  getTransferStatus(ref: TransferRef): Promise<TransferStatus>;
  /** Signs contract calls from the service wallet (1 to 4 messages) without sending them. */
  prepareContractCall(messages: ContractMessage[], validUntil?: number): Promise<PreparedTransfer>;
  /** Runs a get-method without arguments on any contract; null when it is not deployed. Throws on a failed run. */
  runGetMethod(address: string, method: string): Promise<GetMethodResult | null>;
  /** Runs `get_public_key` on a deployed wallet; null when not deployed or no such method. */
  getWalletPublicKey(address: string): Promise<Buffer | null>;
  close(): Promise<void>;
}
