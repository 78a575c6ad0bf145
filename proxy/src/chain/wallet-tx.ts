// Shared codec for both chain adapters: turns raw @ton/core transactions into WalletTransaction,
// builds and hashes signed wallet transfers, and walks transaction history in bounded pages.
import {
  Address,
  beginCell,
  Cell,
  external,
  internal,
  loadMessage,
  type Message,
  SendMode,
  storeMessage,
  type Transaction,
} from '@ton/core';
import type { WalletContractV4 } from '@ton/ton';
import type {
  InboundCursor,
  InboundTransfer,
  OutboundMessage,
  PreparedTransfer,
  TransferRef,
  TransferStatus,
  WalletTransaction,
} from './chain';

/** User-friendly non-bounceable form; `testOnly` for testnet. */
export function friendly(address: Address, testOnly = false): string {
  return address.toString({ bounceable: false, testOnly, urlSafe: true });
}

/** Reads a TON text comment (op 0 followed by a snake UTF-8 string); null for anything else. */
export function readComment(body: Cell | null | undefined): string | null {
  if (!body) return null;
  try {
    const s = body.beginParse();
    if (s.remainingBits < 32 || s.loadUint(32) !== 0) return null;
    return s.loadStringTail();
  } catch {
    return null;
  }
}

export function commentCell(comment: string | null | undefined): Cell | undefined {
  if (comment == null || comment === '') return undefined;
  return beginCell().storeUint(0, 32).storeStringTail(comment).endCell();
}

/**
 * TEP-467 normalized hash of an external-in message: src, import_fee and init are dropped and the
 * body forced into a ref, so the hash a wallet app reports and the one found on chain agree.
 */
export function normalizedExternalHash(message: Message): string {
  if (message.info.type !== 'external-in') throw new Error('not an external-in message');
  const normalized: Message = {
    info: { type: 'external-in', src: null, dest: message.info.dest, importFee: 0n },
    init: null,
    body: message.body,
  };
  return beginCell()
    .store(storeMessage(normalized, { forceRef: true }))
    .endCell()
    .hash()
    .toString('hex');
}

export function externalHashOfBoc(bocBase64: string): string {
  const cell = Cell.fromBase64(bocBase64);
  return normalizedExternalHash(loadMessage(cell.beginParse()));
}

/** Reduces one raw transaction of `account` (the service wallet) to a WalletTransaction. */
export function toWalletTransaction(tx: Transaction, testOnly = false): WalletTransaction {
  const txHash = tx.hash().toString('hex');
  const desc = tx.description;
  const generic = desc.type === 'generic' ? desc : null;
  const computeOk = generic ? generic.computePhase.type === 'vm' && generic.computePhase.success : false;
  const actionOk = generic ? generic.actionPhase == null || generic.actionPhase.success : false;
  const aborted = generic ? generic.aborted : true;
  const bouncedBack = generic?.bouncePhase?.type === 'ok';

  const outbound: OutboundMessage[] = [];
  let sentNano = 0n;
  let fwdFees = 0n;
  for (const msg of tx.outMessages.values()) {
    if (msg.info.type !== 'internal') continue;
    const value = msg.info.value.coins;
    sentNano += value;
    fwdFees += msg.info.forwardFee;
    outbound.push({
      to: friendly(msg.info.dest, testOnly),
      amountNano: value,
      forwardFeeNano: msg.info.forwardFee,
      comment: readComment(msg.body),
    });
  }
  // A bounce message's value is already counted in `sentNano`, so the credited value is the full
  // inbound value whenever the credit phase ran.
  const inMsg = tx.inMessage;
  let inKind: WalletTransaction['inKind'] = 'none';
  let creditedNano = 0n;
  let inbound: InboundTransfer | null = null;
  let externalHash: string | null = null;
  if (inMsg?.info.type === 'internal') {
    inKind = 'internal';
    creditedNano = generic?.creditPhase?.credit.coins ?? 0n;
    const info = inMsg.info;
    // Credited deposit: not itself a bounce, carried value, and was not returned by our bounce phase.
    if (!info.bounced && info.value.coins > 0n && !(aborted && bouncedBack)) {
      inbound = {
        txHash,
        lt: tx.lt,
        from: friendly(info.src, testOnly),
        amountNano: info.value.coins,
        comment: readComment(inMsg.body),
        utime: tx.now,
      };
    }
  } else if (inMsg?.info.type === 'external-in') {
    inKind = 'external';
    externalHash = normalizedExternalHash(inMsg);
  }
  const totalFeesNano = tx.totalFees.coins;
  // The credit phase may be less than the message value when the account owed storage dues;
  // the in-message value minus credit is then part of storage fees already in total_fees.
  const feesPaidNano = totalFeesNano + fwdFees;
  return {
    txHash,
    lt: tx.lt,
    utime: tx.now,
    inKind,
    creditedNano,
    inbound,
    externalHash,
    outbound,
    feesPaidNano,
    totalFeesNano,
    success: computeOk && actionOk && !aborted,
    balanceDeltaNano: creditedNano - sentNano - fwdFees - (totalFeesNano - storageDebtPaidFromCredit(tx)),
  };
}

/** Storage dues collected in the credit-first path come out of the message value, not the balance. */
function storageDebtPaidFromCredit(tx: Transaction): bigint {
  const desc = tx.description;
  if (desc.type !== 'generic' || !desc.creditPhase || tx.inMessage?.info.type !== 'internal') return 0n;
  return desc.creditPhase.dueFeesColelcted ?? 0n;
}

/** Signs a V4 wallet transfer and wraps it in an external message (with stateInit when not deployed). */
export function buildWalletTransfer(args: {
  wallet: WalletContractV4;
  secretKey: Buffer;
  seqno: number;
  deployed: boolean;
  validUntil: number;
  messages: {
    to: Address;
    amountNano: bigint;
    body?: Cell;
    init?: { code: Cell; data: Cell };
    bounce: boolean;
  }[];
}): PreparedTransfer {
  const body = args.wallet.createTransfer({
    seqno: args.seqno,
    secretKey: args.secretKey,
    timeout: args.validUntil,
    // Mode 3: forward fees come from the balance (the receiver gets exactly amountNano), and a
    // message that can't be sent is skipped instead of rolling back the seqno (a rolled-back
    // external could be replayed, burning gas, until it expires).
    sendMode: SendMode.PAY_GAS_SEPARATELY | SendMode.IGNORE_ERRORS,
    messages: args.messages.map((m) =>
      internal({ to: m.to, value: m.amountNano, body: m.body, bounce: m.bounce, init: m.init }),
    ),
  });
  const ext = external({ to: args.wallet.address, init: args.deployed ? undefined : args.wallet.init, body });
  const boc = beginCell().store(storeMessage(ext)).endCell().toBoc().toString('base64');
  return { boc, externalHash: normalizedExternalHash(ext), seqno: args.seqno, validUntil: args.validUntil };
}

export type TxPageFetcher = (opts: {
  limit: number;
  before?: { lt: bigint; hash: string };
}) => Promise<WalletTransaction[]>;

/**
 * Walks history newest → oldest from the top (or from a saved resume point) down to the cursor,
 * at most `maxPages` pages per call. Returns inbound transfers oldest first and the next cursor.
 */
export async function scanInbound(
  fetchPage: TxPageFetcher,
  cursor: InboundCursor | null | undefined,
  opts: { pageSize?: number; maxPages?: number } = {},
): Promise<{ transfers: InboundTransfer[]; cursor: InboundCursor | null }> {
  const pageSize = opts.pageSize ?? 50;
  const maxPages = opts.maxPages ?? 20;
  const stopLt = cursor ? BigInt(cursor.lt) : -1n;
  let top: { lt: string; hash: string } | null = cursor?.resume
    ? { lt: cursor.resume.topLt, hash: cursor.resume.topHash }
    : null;
  let before: { lt: bigint; hash: string } | undefined = cursor?.resume
    ? { lt: BigInt(cursor.resume.nextLt), hash: cursor.resume.nextHash }
    : undefined;
  const found: InboundTransfer[] = [];
  for (let page = 0; page < maxPages; page++) {
    const txs = await fetchPage({ limit: pageSize, before });
    for (const tx of txs) {
      if (tx.lt <= stopLt) return done();
      if (!top) top = { lt: tx.lt.toString(), hash: tx.txHash };
      if (tx.inbound) found.push(tx.inbound);
    }
    if (txs.length < pageSize) return done();
    const last = txs[txs.length - 1];
    before = { lt: last.lt, hash: last.txHash };
  }
  // Page budget spent: remember where to continue; the watermark stays where it was.
  const transfers = found.sort((a, b) => (a.lt < b.lt ? -1 : a.lt > b.lt ? 1 : 0));
  if (!top || !before) return { transfers, cursor: cursor ?? null };
  return {
    transfers,
    cursor: {
      lt: cursor?.lt ?? '-1',
      hash: cursor?.hash ?? '',
      resume: { topLt: top.lt, topHash: top.hash, nextLt: before.lt.toString(), nextHash: before.hash },
    },
  };

  function done() {
    const transfers = found.sort((a, b) => (a.lt < b.lt ? -1 : a.lt > b.lt ? 1 : 0));
    const next = top ?? (cursor ? { lt: cursor.lt, hash: cursor.hash } : null);
    return { transfers, cursor: next };
  }
}

export function parseAddress(address: string): Address {
  return Address.parse(address);
}

/** Longest validity we sign for; bounds how far back a confirmation search must look. */
export const MAX_TRANSFER_VALIDITY_S = 600;

export function clampValidUntil(validUntil: number | undefined, now: number): number {
  return Math.min(validUntil ?? now + 60, now + MAX_TRANSFER_VALIDITY_S);
}

/**
 * Where a prepared transfer stands. A message can only land between its signing
 * (≥ validUntil − MAX_TRANSFER_VALIDITY_S) and validUntil, so history is searched back to that
 * time only. "expired" is returned only when it is proven the message can never land; a search
 * cut short by the page budget answers "pending", never "expired" (a wrong "expired" would make
 * the caller pay twice).
 */
export async function findTransferStatus(
  fetchPage: TxPageFetcher,
  ref: TransferRef,
  chain: { seqno: number; now: number },
  opts: { pageSize?: number; maxPages?: number } = {},
): Promise<TransferStatus> {
  const pageSize = opts.pageSize ?? 50;
  const maxPages = opts.maxPages ?? 20;
  const oldestPossible = ref.validUntil - MAX_TRANSFER_VALIDITY_S - 60;
  let before: { lt: bigint; hash: string } | undefined;
  let searchedAll = false;
  for (let page = 0; page < maxPages && !searchedAll; page++) {
    const txs = await fetchPage({ limit: pageSize, before });
    for (const tx of txs) {
      if (tx.externalHash === ref.externalHash) {
        if (tx.success && tx.outbound.length > 0) {
          return { status: 'confirmed', txHash: tx.txHash, lt: tx.lt, feesPaidNano: tx.feesPaidNano };
        }
        return {
          status: 'failed',
          txHash: tx.txHash,
          lt: tx.lt,
          reason: 'wallet ran the message but sent nothing',
        };
      }
      if (tx.utime < oldestPossible) searchedAll = true;
    }
    if (txs.length < pageSize) searchedAll = true;
    const last = txs[txs.length - 1];
    if (last) before = { lt: last.lt, hash: last.txHash };
  }
  if (!searchedAll) return { status: 'pending' };
  // Not on chain. It can still land only while its seqno is current and before validUntil.
  if (chain.seqno > ref.seqno || chain.now > ref.validUntil) return { status: 'expired' };
  return { status: 'pending' };
}
