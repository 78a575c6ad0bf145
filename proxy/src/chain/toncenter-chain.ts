// TON HTTP API v2 (toncenter.com/api/v2 and compatible) adapter for testnet and mainnet.
// Reads: getAddressBalance, getAddressState, getTransactions (paged by lt+hash), runGetMethod.
// Writes: sendBoc. Transactions are taken from their raw `data` BoC (checked against
// transaction_id.hash) and parsed by the same code as the sandbox, not from toncenter's
// convenience JSON fields, so fees, bounces and comments are read the same way everywhere.
import { Address, Cell, loadTransaction, type TupleItem, TupleReader } from '@ton/core';
import type { KeyPair } from '@ton/crypto';
import { WalletContractV4 } from '@ton/ton';
import { z } from 'zod';
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

export const ToncenterConfigSchema = z.object({
  /** e.g. https://testnet.toncenter.com/api/v2 */
  baseUrl: z.string().url(),
  apiKey: z.string().min(1).optional(),
  network: z.enum(['mainnet', 'testnet']),
  timeoutMs: z.number().int().positive().default(15_000),
  /** Attempts per request on 429/5xx/network errors. */
  attempts: z.number().int().min(1).max(10).default(3),
  /** How far toncenter's index may lag the chain when deciding a message has expired. */
  indexLagSeconds: z.number().int().nonnegative().default(120),
});
export type ToncenterConfig = z.input<typeof ToncenterConfigSchema>;

const envelope = z.object({
  ok: z.boolean(),
  result: z.unknown().optional(),
  error: z.string().optional(),
  code: z.number().optional(),
});
const rawTransaction = z.object({
  utime: z.number(),
  data: z.string(),
  transaction_id: z.object({ lt: z.string(), hash: z.string() }),
});
const runResult = z.object({ exit_code: z.number(), stack: z.array(z.tuple([z.string(), z.unknown()])) });

export class ToncenterError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export class ToncenterChain implements ChainAdapter {
  readonly kind = 'toncenter' as const;
  private readonly cfg: z.output<typeof ToncenterConfigSchema>;
  private readonly testOnly: boolean;

  private constructor(
    cfg: ToncenterConfig,
    private readonly keyPair: KeyPair,
    readonly serviceWallet: WalletContractV4,
  ) {
    this.cfg = ToncenterConfigSchema.parse(cfg);
    this.testOnly = this.cfg.network === 'testnet';
  }

  static async create(opts: ToncenterConfig & { serviceKey: ServiceKey }): Promise<ToncenterChain> {
    const keyPair = await keyPairFromServiceKey(opts.serviceKey);
    const wallet = WalletContractV4.create({ workchain: 0, publicKey: keyPair.publicKey });
    return new ToncenterChain(opts, keyPair, wallet);
  }

  serviceAddress(): string {
    return friendly(this.serviceWallet.address, this.testOnly);
  }

  async getBalance(): Promise<bigint> {
    return BigInt(
      z
        .union([z.string(), z.number()])
        .parse(await this.get('getAddressBalance', { address: this.serviceAddress() })),
    );
  }

  async getSeqno(): Promise<number> {
    if (!(await this.isDeployed(this.serviceAddress()))) return 0;
    const res = await this.runGetMethodRaw(this.serviceAddress(), 'seqno');
    if (res.exit_code !== 0) throw new ToncenterError(`seqno get-method exited ${res.exit_code}`, 200);
    return Number(stackNumber(res.stack[0]));
  }

  async listInboundTransfers(sinceCursor?: InboundCursor | null) {
    return scanInbound((o) => this.listWalletTransactions(o), sinceCursor);
  }

  async listWalletTransactions(
    opts: { limit?: number; before?: { lt: bigint; hash: string } } = {},
  ): Promise<WalletTransaction[]> {
    const limit = Math.min(opts.limit ?? 50, 100);
    const params: Record<string, string> = {
      address: this.serviceAddress(),
      limit: String(limit),
      archival: 'true',
    };
    if (opts.before) {
      // toncenter starts AT lt+hash (inclusive): ask for one more and drop it.
      params.lt = opts.before.lt.toString();
      params.hash = opts.before.hash;
      params.limit = String(limit + 1);
    }
    const rows = z.array(rawTransaction).parse(await this.get('getTransactions', params));
    const out: WalletTransaction[] = [];
    for (const row of rows) {
      const cell = Cell.fromBase64(row.data);
      if (!cell.hash().equals(Buffer.from(row.transaction_id.hash, 'base64'))) {
        throw new ToncenterError('getTransactions: data does not hash to transaction_id.hash', 200);
      }
      const tx = toWalletTransaction(loadTransaction(cell.beginParse()), this.testOnly);
      if (opts.before && tx.lt >= opts.before.lt) continue;
      out.push(tx);
    }
    return out.slice(0, limit);
  }

  async prepareTransfer(args: SendTonArgs): Promise<PreparedTransfer> {
    // Withdrawals go to wallets that may not be deployed yet: non-bounceable, so the value always lands.
    return this.prepareContractCall(
      [{ to: args.to, amountNano: args.amountNano, body: commentCell(args.comment), bounce: false }],
      args.validUntil,
    );
  }

  async sendExternalBoc(boc: string): Promise<void> {
    await this.post('sendBoc', { boc });
  }

  async sendTon(args: SendTonArgs): Promise<PreparedTransfer> {
    const prepared = await this.prepareTransfer(args);
    await this.sendExternalBoc(prepared.boc);
    return prepared;
  }

  async getTransferStatus(ref: TransferRef): Promise<TransferStatus> {
    // Only time proves expiry here: the seqno (runGetMethod) may come from a fresher node than
    // the transaction index, so "seqno moved, tx not seen" could be a lagging index, not a loss.
    return findTransferStatus((o) => this.listWalletTransactions(o), ref, {
      seqno: -1,
      now: nowSec() - this.cfg.indexLagSeconds,
    });
  }

  async prepareContractCall(messages: ContractMessage[], validUntil?: number): Promise<PreparedTransfer> {
    const deployed = await this.isDeployed(this.serviceAddress());
    return buildWalletTransfer({
      wallet: this.serviceWallet,
      secretKey: this.keyPair.secretKey,
      seqno: deployed ? await this.getSeqno() : 0,
      deployed,
      validUntil: clampValidUntil(validUntil, nowSec()),
      messages: messages.map((m) => ({ ...m, to: Address.parse(m.to), bounce: m.bounce ?? true })),
    });
  }

  async runGetMethod(address: string, method: string): Promise<GetMethodResult | null> {
    if (!(await this.isDeployed(address))) return null;
    const res = await this.runGetMethodRaw(address, method);
    if (res.exit_code !== 0) throw new Error(`${method} on ${address} exited with ${res.exit_code}`);
    return new TupleReader(res.stack.map(stackItem));
  }

  async getWalletPublicKey(address: string): Promise<Buffer | null> {
    try {
      if (!(await this.isDeployed(address))) return null;
      const res = await this.runGetMethodRaw(address, 'get_public_key');
      if (res.exit_code !== 0 || !res.stack[0]) return null;
      return Buffer.from(stackNumber(res.stack[0]).toString(16).padStart(64, '0'), 'hex');
    } catch {
      return null;
    }
  }

  async close(): Promise<void> {}

  /** The service wallet's account state: active, uninitialized (never sent from) or frozen. */
  async serviceWalletState(): Promise<string> {
    return z.string().parse(await this.get('getAddressState', { address: this.serviceAddress() }));
  }

  /** The base64 root hash of the endpoint's masterchain zero state: which network it serves. */
  async zeroStateRootHash(): Promise<string> {
    const info = z
      .object({ init: z.object({ root_hash: z.string() }) })
      .parse(await this.get('getMasterchainInfo', {}));
    return info.init.root_hash;
  }

  // ---------- HTTP ----------

  private async isDeployed(address: string): Promise<boolean> {
    return z.string().parse(await this.get('getAddressState', { address })) === 'active';
  }

  private async runGetMethodRaw(address: string, method: string) {
    return runResult.parse(await this.post('runGetMethod', { address, method, stack: [] }));
  }

  private get(method: string, params: Record<string, string>) {
    return this.call(`${method}?${new URLSearchParams(params)}`, { method: 'GET' });
  }

  private post(method: string, body: unknown) {
    return this.call(method, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
  }

  private async call(path: string, init: RequestInit): Promise<unknown> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(init.headers as Record<string, string>),
    };
    if (this.cfg.apiKey) headers['X-API-Key'] = this.cfg.apiKey;
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.cfg.attempts; attempt++) {
      try {
        const res = await fetch(`${this.cfg.baseUrl.replace(/\/$/, '')}/${path}`, {
          ...init,
          headers,
          signal: AbortSignal.timeout(this.cfg.timeoutMs),
        });
        const parsed = envelope.safeParse(await res.json().catch(() => null));
        if (res.ok && parsed.success && parsed.data.ok) return parsed.data.result;
        const message = parsed.success ? (parsed.data.error ?? 'not ok') : `HTTP ${res.status}`;
        const err = new ToncenterError(`toncenter ${path.split('?')[0]}: ${message}`, res.status);
        if (res.status !== 429 && res.status < 500) throw err;
        lastError = err;
      } catch (err) {
        if (err instanceof ToncenterError && err.status !== 429 && err.status < 500) throw err;
        lastError = err;
      }
      if (attempt < this.cfg.attempts) await new Promise((r) => setTimeout(r, 250 * attempt));
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }
}

/** A toncenter v2 stack entry as @ton/core's tuple item: numbers, and cells or slices as cells. */
function stackItem(entry: [string, unknown]): TupleItem {
  if (entry[0] === 'num') return { type: 'int', value: stackNumber(entry) };
  const bytes = (entry[1] as { bytes?: unknown } | undefined)?.bytes;
  if ((entry[0] === 'cell' || entry[0] === 'slice') && typeof bytes === 'string')
    return { type: 'cell', cell: Cell.fromBase64(bytes) };
  throw new Error(`unsupported get-method stack entry: ${entry[0]}`);
}

function stackNumber(entry: [string, unknown] | undefined): bigint {
  const v = entry?.[0] === 'num' ? entry[1] : undefined;
  if (typeof v !== 'string') throw new Error('expected a number on the stack');
  return v.startsWith('-') ? -BigInt(v.slice(1)) : BigInt(v);
}

function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}
