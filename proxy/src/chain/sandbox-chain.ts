// In-process TON chain (@ton/sandbox): the local default and the test chain. Real wallet
// contracts (WalletContractV4R2), real Ed25519-signed external messages, real fees.
//
// Sandbox has no indexer (and its Blockchain.getTransactions is unusable in 0.41: it reverses the
// shared list in place and compares hash Buffers by reference), so this adapter keeps its own log
// of every transaction it causes, per account. Everything that touches the chain must go through
// this class (faucet, user wallets, sendExternalBoc) for the log to be complete.
//
// Persistence: with `stateFile`, the chain (a @ton/sandbox snapshot), the transaction log and the
// dev user-wallet seeds are written to that JSON file after every change and loaded on create, so
// `npm start` keeps balances across restarts. Without it the chain resets on every start.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import {
  Address,
  beginCell,
  Cell,
  loadStateInit,
  loadTransaction,
  storeStateInit,
  type Transaction,
} from '@ton/core';
import { getSecureRandomBytes, type KeyPair, keyPairFromSeed } from '@ton/crypto';
import {
  Blockchain,
  type SandboxContract,
  type SendMessageResult,
  snapshotFromSerializable,
  snapshotToSerializable,
  type TreasuryContract,
} from '@ton/sandbox';
import { WalletContractV4 } from '@ton/ton';
import { signTonProof, type TonProof } from '../wallet/ton-proof';
import type {
  ChainAdapter,
  ContractMessage,
  GetMethodResult,
  InboundCursor,
  PreparedTransfer,
  SendTonArgs,
  TransferRef,
  TransferStatus,
  WalletTransaction,
} from './chain';
import { keyPairFromServiceKey, type ServiceKey } from './service-key';
import {
  buildWalletTransfer,
  clampValidUntil,
  commentCell,
  findTransferStatus,
  friendly,
  scanInbound,
  toWalletTransaction,
} from './wallet-tx';

const TREASURY_SEED = 'cocoon-sandbox-treasury';
const STATE_VERSION = 1;

export type SandboxChainOptions = {
  serviceKey: ServiceKey;
  /** Funding for a freshly deployed service wallet, default 1,000 TON. */
  initialServiceBalanceNano?: bigint;
  /** JSON file to persist chain state in (dev). */
  stateFile?: string;
};

/** A TON Connect `sendTransaction` message, as the Mini App's bridge hands it over. */
export type TonConnectMessage = {
  address: string;
  amount: string | bigint;
  /** Base64 BoC of the message body. */
  payload?: string;
  /** Base64 BoC of a StateInit to deploy at `address`. */
  stateInit?: string;
};

export type SandboxUserWallet = {
  /** Same as `address`; what `/dev/sandbox-wallet/:walletId/...` routes take. */
  id: string;
  /** User-friendly non-bounceable address. */
  address: string;
  rawAddress: string;
  publicKey: string;
  secretKey: Buffer;
  /** Base64 BoC of the wallet StateInit (TON Connect `walletStateInit`). */
  stateInit: string;
  sendTransfer(args: { to: string; amountNano: bigint; comment?: string | null }): Promise<PreparedTransfer>;
  send(messages: TonConnectMessage[], validUntil?: number): Promise<PreparedTransfer>;
  signTonProof(domain: string, payload: string, timestamp?: number): TonProof;
};

type UserWalletEntry = { seedHex: string; keyPair: KeyPair; contract: WalletContractV4 };

type StateFile = {
  version: number;
  snapshot: ReturnType<typeof snapshotToSerializable>;
  txLog: Record<string, string[]>;
  userWalletSeeds: string[];
};

export class SandboxChain implements ChainAdapter {
  readonly kind = 'sandbox' as const;
  /** Per-account transactions this adapter observed, oldest first, keyed by account hash hex. */
  private readonly txLog = new Map<string, Transaction[]>();
  private readonly userWallets = new Map<string, UserWalletEntry>();
  /** Hash of the treasury's deploying transfer to the service wallet (see `InboundTransfer.sandboxFunding`). */
  private fundingTxHash: string | null = null;

  private constructor(
    readonly blockchain: Blockchain,
    private readonly treasury: SandboxContract<TreasuryContract>,
    private readonly keyPair: KeyPair,
    readonly serviceWallet: WalletContractV4,
    private readonly stateFile: string | undefined,
  ) {}

  static async create(opts: SandboxChainOptions): Promise<SandboxChain> {
    const keyPair = await keyPairFromServiceKey(opts.serviceKey);
    const blockchain = await Blockchain.create();
    const saved = opts.stateFile && existsSync(opts.stateFile) ? readState(opts.stateFile) : null;
    if (saved) await blockchain.loadFrom(snapshotFromSerializable(saved.snapshot));
    const treasury = await blockchain.treasury(TREASURY_SEED, { balance: 10_000_000n * 1_000_000_000n });
    const wallet = WalletContractV4.create({ workchain: 0, publicKey: keyPair.publicKey });
    const chain = new SandboxChain(blockchain, treasury, keyPair, wallet, opts.stateFile);
    if (saved) {
      for (const [account, bocs] of Object.entries(saved.txLog)) {
        chain.txLog.set(
          account,
          bocs.map((b) => loadTransaction(Cell.fromBase64(b).beginParse())),
        );
      }
      for (const seedHex of saved.userWalletSeeds) chain.registerUserWallet(seedHex);
    }
    if (!(await chain.isDeployed(wallet.address))) {
      // Deploy by an internal message carrying the stateInit; the wallet is then active and funded.
      chain.record(
        await treasury.send({
          to: wallet.address,
          value: opts.initialServiceBalanceNano ?? 1_000n * 1_000_000_000n,
          init: wallet.init,
          bounce: false,
        }),
      );
      chain.saveState();
    }
    chain.fundingTxHash = chain.findFundingTx();
    return chain;
  }

  serviceAddress(): string {
    return friendly(this.serviceWallet.address);
  }

  async getBalance(): Promise<bigint> {
    return (await this.blockchain.getContract(this.serviceWallet.address)).balance;
  }

  async getSeqno(): Promise<number> {
    return this.seqnoOf(this.serviceWallet.address);
  }

  async listInboundTransfers(sinceCursor?: InboundCursor | null) {
    const found = await scanInbound((o) => this.listWalletTransactions(o), sinceCursor);
    const transfers = found.transfers.map((t) =>
      t.txHash === this.fundingTxHash ? { ...t, sandboxFunding: true as const } : t,
    );
    return { transfers, cursor: found.cursor };
  }

  async listWalletTransactions(opts: { limit?: number; before?: { lt: bigint; hash: string } } = {}) {
    return this.transactionsOf(this.serviceWallet.address, opts);
  }

  async prepareTransfer(args: SendTonArgs): Promise<PreparedTransfer> {
    // Withdrawals go to wallets (bound by ton_proof) that may not be deployed yet: non-bounceable so the
    // value always lands instead of bouncing back from an uninit account.
    return this.prepareContractCall(
      [{ to: args.to, amountNano: args.amountNano, body: commentCell(args.comment), bounce: false }],
      args.validUntil,
    );
  }

  async prepareContractCall(messages: ContractMessage[], validUntil?: number): Promise<PreparedTransfer> {
    return buildWalletTransfer({
      wallet: this.serviceWallet,
      secretKey: this.keyPair.secretKey,
      seqno: await this.getSeqno(),
      deployed: await this.isDeployed(this.serviceWallet.address),
      validUntil: clampValidUntil(validUntil, this.now()),
      messages: messages.map((m) => ({ ...m, to: Address.parse(m.to), bounce: m.bounce ?? true })),
    });
  }

  async runGetMethod(address: string, method: string): Promise<GetMethodResult | null> {
    const addr = Address.parse(address);
    if (!(await this.isDeployed(addr))) return null;
    const res = await this.blockchain.runGetMethod(addr, method);
    if (res.exitCode !== 0) throw new Error(`${method} on ${address} exited with ${res.exitCode}`);
    return res.stackReader;
  }

  /** Executes an external message right away; throws if the wallet rejects it (bad signature, seqno, expiry). */
  async sendExternalBoc(boc: string): Promise<void> {
    this.record(await this.blockchain.sendMessage(Cell.fromBase64(boc)));
    this.saveState();
  }

  async sendTon(args: SendTonArgs): Promise<PreparedTransfer> {
    const prepared = await this.prepareTransfer(args);
    await this.sendExternalBoc(prepared.boc);
    return prepared;
  }

  async getTransferStatus(ref: TransferRef): Promise<TransferStatus> {
    return findTransferStatus((o) => this.listWalletTransactions(o), ref, {
      seqno: await this.getSeqno(),
      now: this.now(),
    });
  }

  async getWalletPublicKey(address: string): Promise<Buffer | null> {
    try {
      const addr = Address.parse(address);
      if (!(await this.isDeployed(addr))) return null;
      const res = await this.blockchain.runGetMethod(addr, 'get_public_key');
      if (res.exitCode !== 0) return null;
      return Buffer.from(res.stackReader.readBigNumber().toString(16).padStart(64, '0'), 'hex');
    } catch {
      return null;
    }
  }

  async close(): Promise<void> {
    this.saveState();
  }

  // ---------- dev and test helpers ----------

  /** Dev-only faucet: sends TON from the sandbox treasury (non-bounceable, so uninit wallets get it). */
  async faucet(toAddress: string, amountNano: bigint, comment?: string): Promise<void> {
    this.record(
      await this.treasury.send({
        to: Address.parse(toAddress),
        value: amountNano,
        bounce: false,
        body: commentCell(comment),
      }),
    );
    this.saveState();
  }

  /** A user wallet (V4R2) from a 32-byte seed (random when omitted), optionally funded by the faucet. */
  async createUserWallet(opts: { seedHex?: string; fundNano?: bigint } = {}): Promise<SandboxUserWallet> {
    const seedHex = opts.seedHex ?? (await getSecureRandomBytes(32)).toString('hex');
    const id = this.registerUserWallet(seedHex);
    if (opts.fundNano && opts.fundNano > 0n) await this.faucet(id, opts.fundNano);
    this.saveState();
    return this.userWallet(id);
  }

  /** The handle for a wallet created earlier (also after a restart with `stateFile`). */
  userWallet(walletId: string): SandboxUserWallet {
    const entry = this.userWallets.get(walletId);
    if (!entry) throw new Error('unknown sandbox wallet');
    const { contract, keyPair } = entry;
    return {
      id: walletId,
      address: walletId,
      rawAddress: contract.address.toRawString(),
      publicKey: keyPair.publicKey.toString('hex'),
      secretKey: keyPair.secretKey,
      stateInit: beginCell().store(storeStateInit(contract.init)).endCell().toBoc().toString('base64'),
      sendTransfer: (a) =>
        this.sandboxWalletSend(walletId, [
          {
            address: a.to,
            amount: a.amountNano,
            payload: commentCell(a.comment)?.toBoc().toString('base64'),
          },
        ]),
      send: (messages, validUntil) => this.sandboxWalletSend(walletId, messages, validUntil),
      signTonProof: (domain, payload, timestamp) =>
        this.sandboxWalletTonProof(walletId, domain, payload, timestamp),
    };
  }

  listUserWallets(): string[] {
    return [...this.userWallets.keys()];
  }

  /**
   * Signs and executes a TON Connect sendTransaction for a dev user wallet (what the Mini App's
   * injected sandbox wallet posts to the proxy). Returns the external message (TON Connect's `boc`).
   */
  async sandboxWalletSend(
    walletId: string,
    messages: TonConnectMessage[],
    validUntil?: number,
  ): Promise<PreparedTransfer> {
    const entry = this.userWallets.get(walletId);
    if (!entry) throw new Error('unknown sandbox wallet');
    if (messages.length < 1 || messages.length > 4) throw new Error('a V4 wallet sends 1 to 4 messages');
    const prepared = buildWalletTransfer({
      wallet: entry.contract,
      secretKey: entry.keyPair.secretKey,
      seqno: await this.seqnoOf(entry.contract.address),
      deployed: await this.isDeployed(entry.contract.address),
      validUntil: clampValidUntil(validUntil, this.now()),
      messages: messages.map((m) => {
        const to = Address.parseFriendly(m.address);
        const init = m.stateInit ? loadStateInit(Cell.fromBase64(m.stateInit).beginParse()) : undefined;
        return {
          to: to.address,
          amountNano: BigInt(m.amount),
          body: m.payload ? Cell.fromBase64(m.payload) : undefined,
          init: init?.code && init.data ? { code: init.code, data: init.data } : undefined,
          // Wallets take the bounce flag from the address form, like TON Connect wallets do.
          bounce: to.isBounceable,
        };
      }),
    });
    await this.sendExternalBoc(prepared.boc);
    return prepared;
  }

  /** ton_proof signed by a dev user wallet, with its stateInit attached. */
  sandboxWalletTonProof(walletId: string, domain: string, payload: string, timestamp?: number): TonProof {
    const entry = this.userWallets.get(walletId);
    if (!entry) throw new Error('unknown sandbox wallet');
    return signTonProof({
      secretKey: entry.keyPair.secretKey,
      address: entry.contract.address,
      domain,
      payload,
      timestamp,
      stateInit: beginCell().store(storeStateInit(entry.contract.init)).endCell().toBoc().toString('base64'),
    });
  }

  /** Raw transactions of any account this adapter observed, newest first (a stand-in indexer). */
  rawTransactions(address: string): Transaction[] {
    return [...(this.txLog.get(Address.parse(address).hash.toString('hex')) ?? [])].reverse();
  }

  async isActive(address: string): Promise<boolean> {
    return this.isDeployed(Address.parse(address));
  }

  async balanceOf(address: string): Promise<bigint> {
    return (await this.blockchain.getContract(Address.parse(address))).balance;
  }

  /** Writes the state file now (no-op without one). Atomic: temp file + rename. */
  saveState(): void {
    if (!this.stateFile) return;
    const state: StateFile = {
      version: STATE_VERSION,
      snapshot: snapshotToSerializable(this.blockchain.snapshot()),
      txLog: Object.fromEntries(
        [...this.txLog].map(([k, txs]) => [k, txs.map((t) => t.raw.toBoc().toString('base64'))]),
      ),
      userWalletSeeds: [...this.userWallets.values()].map((w) => w.seedHex),
    };
    const tmp = `${this.stateFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
    renameSync(tmp, this.stateFile);
  }

  // ---------- internals ----------

  private registerUserWallet(seedHex: string): string {
    const keyPair = keyPairFromSeed(Buffer.from(seedHex, 'hex'));
    const contract = WalletContractV4.create({ workchain: 0, publicKey: keyPair.publicKey });
    const id = friendly(contract.address);
    this.userWallets.set(id, { seedHex, keyPair, contract });
    return id;
  }

  private record(result: SendMessageResult): void {
    for (const tx of result.transactions) {
      const key = tx.address.toString(16).padStart(64, '0');
      const list = this.txLog.get(key) ?? [];
      list.push(tx);
      this.txLog.set(key, list);
    }
  }

  /**
   * The service wallet's deploying transfer: the only message the treasury sends with a StateInit
   * (create() above); faucet transfers carry none, so they stay ordinary inbound transfers.
   */
  private findFundingTx(): string | null {
    const txs = this.txLog.get(this.serviceWallet.address.hash.toString('hex')) ?? [];
    const funding = txs.find((tx) => {
      const msg = tx.inMessage;
      return msg?.info.type === 'internal' && msg.info.src.equals(this.treasury.address) && !!msg.init;
    });
    return funding ? funding.hash().toString('hex') : null;
  }

  private async transactionsOf(
    address: Address,
    opts: { limit?: number; before?: { lt: bigint; hash: string } },
  ): Promise<WalletTransaction[]> {
    const all = this.txLog.get(address.hash.toString('hex')) ?? [];
    const limit = Math.min(opts.limit ?? 50, 1_000);
    const out: WalletTransaction[] = [];
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
      const tx = all[i];
      if (opts.before && tx.lt >= opts.before.lt) continue;
      out.push(toWalletTransaction(tx));
    }
    return out;
  }

  private async isDeployed(address: Address): Promise<boolean> {
    return (await this.blockchain.getContract(address)).accountState?.type === 'active';
  }

  private async seqnoOf(address: Address): Promise<number> {
    if (!(await this.isDeployed(address))) return 0;
    const res = await this.blockchain.runGetMethod(address, 'seqno');
    return res.stackReader.readNumber();
  }

  private now(): number {
    return this.blockchain.now ?? Math.floor(Date.now() / 1000);
  }
}

function readState(file: string): StateFile {
  const state = JSON.parse(readFileSync(file, 'utf8')) as StateFile;
  if (state.version !== STATE_VERSION) throw new Error(`sandbox state file ${file}: unsupported version`);
  return state;
}
