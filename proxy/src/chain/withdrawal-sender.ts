// Pays queued withdrawals from the service wallet, each exactly once.
//
// Once-only rests on the wallet's seqno: a signed message consumes one seqno and can land at most
// once, and only until its validUntil. So the sender (1) signs, (2) stores the message ref and BoC
// with markSent BEFORE broadcasting, (3) broadcasts. After a crash at any point, a 'sent'
// withdrawal is resolved from the chain: confirmed, failed, or — only when it provably can never
// land (seqno used by another message, or expired) — requeued to be signed anew. One withdrawal
// is in flight at a time, because two messages signed with the same seqno can't both land.

import { formatTon } from '@cocoon/shared';
import { Address } from '@ton/core';
import type { ChainAdapter, PreparedTransfer, TransferRef } from './chain';
import { periodicTask } from './periodic';

export type PendingWithdrawal = { id: string; to: string; amountNano: bigint };
export type SentWithdrawal = PendingWithdrawal & { transfer: TransferRef & { boc: string } };

export interface WithdrawalQueue {
  /** Oldest withdrawal with status 'pending', or null. */
  nextPending(): Promise<PendingWithdrawal | null>;
  /** All withdrawals with status 'sent' (signed, maybe broadcast, not yet resolved). */
  listSent(): Promise<SentWithdrawal[]>;
  /** pending → sent, storing the signed message. Must fail if the row is no longer pending. */
  markSent(id: string, transfer: PreparedTransfer): Promise<void>;
  /** sent → confirmed. */
  markConfirmed(id: string, result: { txHash: string; lt: bigint; feesPaidNano: bigint }): Promise<void>;
  /** → failed; the ledger releases the user's hold. */
  markFailed(id: string, reason: string): Promise<void>;
  /** sent → pending: the stored message can never land, so it is safe to sign a new one. */
  requeue(id: string, reason: string): Promise<void>;
}

type Log = { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };

export type WithdrawalSender = {
  /** Resolves sent withdrawals, then sends at most one pending one. */
  tick(): Promise<{ confirmed: number; failed: number; requeued: number; sent: number; inFlight: number }>;
  start(): void;
  stop(): Promise<void>;
};

export function createWithdrawalSender(opts: {
  chain: Pick<ChainAdapter, 'prepareTransfer' | 'sendExternalBoc' | 'getTransferStatus'>;
  queue: WithdrawalQueue;
  intervalMs?: number;
  log?: Log;
  /** Comment on the outgoing transfer; default "Cocoon withdrawal <id>" (also makes each message unique). */
  comment?: (w: PendingWithdrawal) => string;
}): WithdrawalSender {
  const intervalMs = opts.intervalMs ?? 5_000;
  const comment = opts.comment ?? ((w: PendingWithdrawal) => `Cocoon withdrawal ${w.id}`);

  async function resolveSent() {
    const counts = { confirmed: 0, failed: 0, requeued: 0, inFlight: 0 };
    for (const w of await opts.queue.listSent()) {
      let status = await opts.chain.getTransferStatus(w.transfer);
      if (status.status === 'pending') {
        // Maybe never broadcast (crash between markSent and send): the same BoC again is harmless.
        await opts.chain.sendExternalBoc(w.transfer.boc).catch(() => undefined);
        status = await opts.chain.getTransferStatus(w.transfer);
      }
      if (status.status === 'confirmed') {
        await opts.queue.markConfirmed(w.id, status);
        opts.log?.info({ withdrawalId: w.id, txHash: status.txHash }, 'withdrawal confirmed');
        counts.confirmed++;
      } else if (status.status === 'failed') {
        await opts.queue.markFailed(w.id, status.reason);
        opts.log?.warn({ withdrawalId: w.id, txHash: status.txHash }, 'withdrawal failed on chain');
        counts.failed++;
      } else if (status.status === 'expired') {
        await opts.queue.requeue(w.id, 'signed message expired without landing');
        counts.requeued++;
      } else {
        counts.inFlight++;
      }
    }
    return counts;
  }

  async function runTick() {
    let counts = await resolveSent();
    let sent = 0;
    if (counts.inFlight === 0) {
      const w = await opts.queue.nextPending();
      if (w) {
        if (!isValidAddress(w.to) || w.amountNano <= 0n) {
          await opts.queue.markFailed(w.id, 'invalid destination or amount');
          return { ...counts, failed: counts.failed + 1, sent };
        }
        const prepared = await opts.chain.prepareTransfer({
          to: w.to,
          amountNano: w.amountNano,
          comment: comment(w),
        });
        await opts.queue.markSent(w.id, prepared);
        sent = 1;
        opts.log?.info({ withdrawalId: w.id, amount: `${formatTon(w.amountNano)} TON` }, 'withdrawal sent');
        try {
          await opts.chain.sendExternalBoc(prepared.boc);
        } catch (err) {
          // Left 'sent': a later tick rebroadcasts it or, once it can't land, requeues it.
          opts.log?.warn(
            { withdrawalId: w.id, err: err instanceof Error ? err.message : String(err) },
            'broadcast failed',
          );
        }
        // Chains that execute at once (sandbox) can confirm in the same tick.
        const again = await resolveSent();
        counts = {
          confirmed: counts.confirmed + again.confirmed,
          failed: counts.failed + again.failed,
          requeued: counts.requeued + again.requeued,
          inFlight: again.inFlight,
        };
      }
    }
    return { ...counts, sent };
  }

  return periodicTask(runTick, intervalMs, (err: unknown) =>
    opts.log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'withdrawal tick failed'),
  );
}

function isValidAddress(address: string): boolean {
  try {
    Address.parse(address);
    return true;
  } catch {
    return false;
  }
}

/** In-memory queue with the same state machine the DB must implement (tests, dev). */
export function createMemoryWithdrawalQueue() {
  type Row = PendingWithdrawal & {
    status: 'pending' | 'sent' | 'confirmed' | 'failed';
    transfer?: PreparedTransfer;
    reason?: string;
    txHash?: string;
    feesPaidNano?: bigint;
    sends: number;
  };
  const rows = new Map<string, Row>();
  const get = (id: string, status: Row['status']) => {
    const r = rows.get(id);
    if (!r || r.status !== status) throw new Error(`withdrawal ${id} is not ${status}`);
    return r;
  };
  const queue: WithdrawalQueue & { add(w: PendingWithdrawal): void; rows: Map<string, Row> } = {
    rows,
    add(w) {
      rows.set(w.id, { ...w, status: 'pending', sends: 0 });
    },
    async nextPending() {
      for (const r of rows.values())
        if (r.status === 'pending') return { id: r.id, to: r.to, amountNano: r.amountNano };
      return null;
    },
    async listSent() {
      return [...rows.values()]
        .filter((r) => r.status === 'sent')
        .map((r) => ({
          id: r.id,
          to: r.to,
          amountNano: r.amountNano,
          transfer: r.transfer as PreparedTransfer,
        }));
    },
    async markSent(id, transfer) {
      const r = get(id, 'pending');
      r.status = 'sent';
      r.transfer = transfer;
      r.sends++;
    },
    async markConfirmed(id, result) {
      const r = get(id, 'sent');
      r.status = 'confirmed';
      r.txHash = result.txHash;
      r.feesPaidNano = result.feesPaidNano;
    },
    async markFailed(id, reason) {
      const r = rows.get(id);
      if (!r || (r.status !== 'pending' && r.status !== 'sent'))
        throw new Error(`withdrawal ${id} can't fail now`);
      r.status = 'failed';
      r.reason = reason;
    },
    async requeue(id, reason) {
      const r = get(id, 'sent');
      r.status = 'pending';
      r.reason = reason;
      r.transfer = undefined;
    },
  };
  return queue;
}
