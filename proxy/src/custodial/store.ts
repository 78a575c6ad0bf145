// The database side of custodial TON: the deposit sink, the watcher cursor, ton_proof payloads and
// the withdrawal queue, each writing its ledger entries in the same transaction as its row.
//
// Fee accounting (how the ledger reconciles with the service wallet):
// - A withdrawal request debits the user amount + WITHDRAWAL_FEE_NANO (flat):
//   user → system:withdrawals (amount), user → system:network_fees (flat fee).
// - When the chain confirms it, the real fee the service wallet paid is posted
//   system:network_fees → system:chain_fees. So system:network_fees holds the flat fees collected
//   minus what the chain really charged (the operator's margin, may go negative), and
//   system:chain_fees holds every nanoTON the service wallet spent on withdrawal transactions.
// - A failed withdrawal gives the user back amount + flat fee.
// Then, for every confirmed withdrawal and credited deposit:
//   service wallet balance = −(system:deposits + system:withdrawals + system:chain_fees) − inbound gas
// where "inbound gas" is the compute fee the wallet pays to receive each deposit (the chain takes it
// from the wallet's balance, not from the credited value); see ton.test.ts for the exact assertion.
import { randomUUID } from 'node:crypto';
import { formatTon } from '@cocoon/shared';
import type {
  CursorStore,
  DepositCredit,
  DepositSink,
  PendingWithdrawal,
  PreparedTransfer,
  SentWithdrawal,
  WithdrawalQueue,
} from '../chain';
import type { Db, Queryable } from '../db';
import { badRequest, conflict, InsufficientFunds } from '../errors';
import { balanceOf, postTx, SYSTEM, userAccount } from '../ledger/ledger';
import { boundWallet } from '../wallet/repository';
import type { ProofPayloadStore } from '../wallet/ton-proof';
import {
  consumeProofPayload,
  earningsAwaitingAudit,
  findWithdrawal,
  holdSenderLease,
  insertDeposit,
  insertProofPayload,
  insertWithdrawal,
  loadCursor,
  markWithdrawalConfirmed,
  markWithdrawalFailed,
  markWithdrawalSent,
  nextPendingWithdrawal,
  proofPayloadUsed,
  pruneProofPayloads,
  requeueWithdrawal,
  saveCursor,
  sentWithdrawals,
  userIdByDepositMemo,
  type WithdrawalRow,
} from './repository';

/** Real network fees the service wallet paid for withdrawals (see the header). */
export const CHAIN_FEES = 'system:chain_fees';

// ---------- deposits ----------

export function createDbDepositSink(db: Db): DepositSink {
  return {
    async creditDeposit(d: DepositCredit) {
      return db.tx(async (q) => {
        const user = d.memo ? await userIdByDepositMemo(q, d.memo.toLowerCase()) : undefined;
        const inserted = await insertDeposit(q, d, user?.id ?? null);
        if (!inserted) return { credited: false as const };
        await postTx(q, {
          kind: user ? 'deposit' : 'deposit_unclaimed',
          ref: d.txKey,
          uniqueKey: `deposit:${d.txKey}`,
          transfers: [
            {
              from: SYSTEM.deposits,
              to: user ? userAccount(user.id) : SYSTEM.unclaimed,
              amount: d.amountNano,
            },
          ],
        });
        return { credited: true as const, userId: user?.id ?? null };
      });
    },
  };
}

export function createDbCursorStore(db: Queryable, id = 'service-wallet'): CursorStore {
  return {
    async load() {
      const r = await loadCursor(db, id);
      return r?.cursor ?? null;
    },
    async save(cursor) {
      await saveCursor(db, id, cursor);
    },
  };
}

// ---------- ton_proof payloads ----------

/** With `userId`, payloads are issued to that user and a payload issued to anyone else is unknown. */
export function createDbProofPayloadStore(db: Queryable, userId: string | null = null): ProofPayloadStore {
  return {
    async issue(payload, expiresAtSec) {
      // Bounded table: payloads expired for a day are of no use to anyone.
      await pruneProofPayloads(db);
      await insertProofPayload(db, payload, expiresAtSec, userId);
    },
    async consume(payload, nowSec) {
      // One UPDATE decides: concurrent consumers can't both see used_at IS NULL.
      const r = await consumeProofPayload(db, payload, nowSec, userId);
      if (r) return 'ok';
      const row = await proofPayloadUsed(db, payload, userId);
      if (!row) return 'unknown';
      return row.used ? 'used' : 'expired';
    },
  };
}

// ---------- withdrawals ----------

export function withdrawalView(w: WithdrawalRow) {
  return {
    id: w.id,
    amountNano: w.amount_nano,
    feeNano: w.fee_nano,
    toAddress: w.to_address,
    status: w.status,
    txHash: w.tx_hash,
    reason: w.reason,
    createdAt: new Date(w.created_at).toISOString(),
  };
}

/**
 * Queues a withdrawal to the user's bound wallet and debits amount + fee, in one transaction.
 * The same idempotency key returns the first withdrawal (created: false) and never debits twice.
 * Throws 409 without a bound wallet, 400 below the minimum, InsufficientFunds (402) without funds.
 */
export async function requestWithdrawal(
  db: Db,
  args: { userId: string; amountNano: bigint; feeNano: bigint; minNano: bigint; idempotencyKey: string },
): Promise<{ withdrawal: WithdrawalRow; created: boolean }> {
  if (args.amountNano < args.minNano) {
    throw badRequest(`the minimum withdrawal is ${args.minNano} nanoTON`, 'below_minimum');
  }
  return db.tx(async (q) => {
    const existing = () => findWithdrawal(q, args.userId, args.idempotencyKey);
    const first = await existing();
    if (first) return { withdrawal: first, created: false };
    const wallet = await boundWallet(q, args.userId);
    if (!wallet) {
      throw conflict(
        'no wallet is bound to this account: connect a wallet with ton_proof (POST /v1/me/wallet) first',
        'wallet_not_bound',
      );
    }
    // Earnings of the user's rigs from jobs whose audit is still open stay put until it is decided.
    const waiting = await earningsAwaitingAudit(q, args.userId);
    if (waiting > 0n) {
      const balance = await balanceOf(q, userAccount(args.userId));
      if (balance - waiting < args.amountNano + args.feeNano)
        throw new InsufficientFunds(
          `${formatTon(waiting)} TON of your rigs' earnings wait for their audits (minutes); withdraw at most ${formatTon(balance - waiting - args.feeNano > 0n ? balance - waiting - args.feeNano : 0n)} TON now`,
        );
    }
    const id = randomUUID();
    const inserted = await insertWithdrawal(q, {
      id,
      userId: args.userId,
      toAddress: wallet,
      amountNano: args.amountNano,
      feeNano: args.feeNano,
      idempotencyKey: args.idempotencyKey,
    });
    // A concurrent request with the same key committed first: answer with its withdrawal.
    if (!inserted) return { withdrawal: (await existing())!, created: false };
    await postTx(q, {
      kind: 'withdrawal',
      ref: id,
      uniqueKey: `withdrawal:${id}`,
      transfers: [
        { from: userAccount(args.userId), to: SYSTEM.withdrawals, amount: args.amountNano },
        { from: userAccount(args.userId), to: SYSTEM.networkFees, amount: args.feeNano },
      ],
    });
    return { withdrawal: inserted, created: true };
  });
}

/**
 * The sender's view of ton_withdrawals: the state machine of withdrawal-sender.ts, backed by SQL.
 * With `leaseHolder`, this process sees work only while it holds the sender lease.
 */
export function createDbWithdrawalQueue(db: Db, opts: { leaseHolder?: string } = {}): WithdrawalQueue {
  const mine = async () => !opts.leaseHolder || (await holdSenderLease(db, opts.leaseHolder));
  return {
    async nextPending(): Promise<PendingWithdrawal | null> {
      if (!(await mine())) return null;
      const r = await nextPendingWithdrawal(db);
      const w = r;
      return w ? { id: w.id, to: w.to_address, amountNano: BigInt(w.amount_nano) } : null;
    },
    async listSent(): Promise<SentWithdrawal[]> {
      if (!(await mine())) return [];
      const r = await sentWithdrawals(db);
      return r.map((w) => ({
        id: w.id,
        to: w.to_address,
        amountNano: BigInt(w.amount_nano),
        transfer: {
          externalHash: w.external_hash,
          seqno: Number(w.seqno),
          validUntil: Number(w.valid_until),
          boc: w.boc,
        },
      }));
    },
    async markSent(id: string, t: PreparedTransfer) {
      const r = await markWithdrawalSent(db, id, t);
      if (!r) throw new Error(`withdrawal ${id} is no longer pending`);
    },
    async markConfirmed(id, result) {
      await db.tx(async (q) => {
        const r = await markWithdrawalConfirmed(q, id, result.txHash, result.feesPaidNano);
        if (!r) throw new Error(`withdrawal ${id} is not sent`);
        await postTx(q, {
          kind: 'withdrawal_chain_fee',
          ref: id,
          uniqueKey: `withdrawal-chain-fee:${id}`,
          transfers: [{ from: SYSTEM.networkFees, to: CHAIN_FEES, amount: result.feesPaidNano }],
        });
      });
    },
    async markFailed(id, reason) {
      await db.tx(async (q) => {
        const r = await markWithdrawalFailed(q, id, reason);
        const w = r;
        if (!w) throw new Error(`withdrawal ${id} can't fail now`);
        await postTx(q, {
          kind: 'withdrawal_refund',
          ref: id,
          uniqueKey: `withdrawal-refund:${id}`,
          transfers: [
            { from: SYSTEM.withdrawals, to: userAccount(w.user_id), amount: BigInt(w.amount_nano) },
            { from: SYSTEM.networkFees, to: userAccount(w.user_id), amount: BigInt(w.fee_nano) },
          ],
        });
      });
    },
    async requeue(id, reason) {
      const r = await requeueWithdrawal(db, id, reason);
      if (!r) throw new Error(`withdrawal ${id} is not sent`);
    },
  };
}
