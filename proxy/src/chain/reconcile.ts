// Reconciliation: explain the service wallet's balance change from its transactions, to the nanoTON.
import type { ChainAdapter, WalletTransaction } from './chain';

export type WalletFlows = {
  /** Value credited by inbound internal messages (deposits, faucet, funding). */
  inboundNano: bigint;
  /** Value of outbound messages (withdrawals, refunds). */
  outboundNano: bigint;
  /** Network fees paid: total_fees + forward fees of sent messages (storage, gas, actions). */
  feesPaidNano: bigint;
  /** inbound − outbound − fees: must equal the balance change over the same transactions. */
  netNano: bigint;
  count: number;
};

export function summarizeWalletFlows(txs: readonly WalletTransaction[]): WalletFlows {
  let inboundNano = 0n;
  let outboundNano = 0n;
  let net = 0n;
  for (const tx of txs) {
    inboundNano += tx.creditedNano;
    for (const o of tx.outbound) outboundNano += o.amountNano;
    net += tx.balanceDeltaNano;
  }
  // Fees defined as whatever the balance lost beyond value moved, so the identity holds exactly
  // even when storage debt was taken out of an inbound message's value.
  const feesPaidNano = inboundNano - outboundNano - net;
  return { inboundNano, outboundNano, feesPaidNano, netNano: net, count: txs.length };
}

/** All service-wallet transactions with lt > afterLt, oldest first; bounded by maxPages. */
export async function walletTransactionsSince(
  chain: Pick<ChainAdapter, 'listWalletTransactions'>,
  afterLt: bigint,
  opts: { pageSize?: number; maxPages?: number } = {},
): Promise<{ transactions: WalletTransaction[]; complete: boolean }> {
  const pageSize = opts.pageSize ?? 50;
  const maxPages = opts.maxPages ?? 200;
  const out: WalletTransaction[] = [];
  let before: { lt: bigint; hash: string } | undefined;
  for (let page = 0; page < maxPages; page++) {
    const txs = await chain.listWalletTransactions({ limit: pageSize, before });
    for (const tx of txs) {
      if (tx.lt <= afterLt) return { transactions: out.reverse(), complete: true };
      out.push(tx);
    }
    if (txs.length < pageSize) return { transactions: out.reverse(), complete: true };
    const last = txs[txs.length - 1];
    before = { lt: last.lt, hash: last.txHash };
  }
  return { transactions: out.reverse(), complete: false };
}
