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
  InboundCursor,
  PendingWithdrawal,
  PreparedTransfer,
  SentWithdrawal,
  WithdrawalQueue,
} from '../chain';
import type { Db, Queryable } from '../db';
import { badRequest, conflict, InsufficientFunds } from '../errors';
import { balanceOf, postTx, SYSTEM, userAccount } from '../ledger/ledger';
import type { ProofPayloadStore } from '../wallet/ton-proof';

/** Real network fees the service wallet paid for withdrawals (see the header). */
export const CHAIN_FEES = 'system:chain_fees';

// ---------- deposits ----------

export function createDbDepositSink(db: Db): DepositSink {
  return {
    async creditDeposit(d: DepositCredit) {
      return db.tx(async (q) => {
        const user = d.memo
          ? (
              await q.query<{ id: string }>('SELECT id FROM users WHERE deposit_memo = $1', [
                d.memo.toLowerCase(),
              ])
            ).rows[0]
          : undefined;
        const inserted = await q.query<{ tx_key: string }>(
          `INSERT INTO ton_deposits (tx_key, memo, comment, amount_nano, from_address, user_id, utime)
           VALUES ($1, $2, $3, $4::numeric, $5, $6, $7) ON CONFLICT (tx_key) DO NOTHING RETURNING tx_key`,
          [
            d.txKey,
            d.memo,
            d.comment?.slice(0, 512) ?? null,
            d.amountNano,
            d.from,
            user?.id ?? null,
            d.utime,
          ],
        );
        if (!inserted.rows.length) return { credited: false as const };
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
      const r = await db.query<{ cursor: InboundCursor | null }>(
        'SELECT cursor FROM ton_watcher_cursor WHERE id = $1',
        [id],
      );
      return r.rows[0]?.cursor ?? null;
    },
    async save(cursor) {
      await db.query(
        `INSERT INTO ton_watcher_cursor (id, cursor, updated_at) VALUES ($1, $2::jsonb, now())
         ON CONFLICT (id) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()`,
        [id, JSON.stringify(cursor)],
      );
    },
  };
}

// ---------- ton_proof payloads ----------

/** With `userId`, payloads are issued to that user and a payload issued to anyone else is unknown. */
export function createDbProofPayloadStore(db: Queryable, userId: string | null = null): ProofPayloadStore {
  return {
    async issue(payload, expiresAtSec) {
      // Bounded table: payloads expired for a day are of no use to anyone.
      await db.query("DELETE FROM ton_proof_payloads WHERE expires_at < now() - interval '1 day'");
      await db.query(
        'INSERT INTO ton_proof_payloads (payload, expires_at, user_id) VALUES ($1, to_timestamp($2), $3)',
        [payload, expiresAtSec, userId],
      );
    },
    async consume(payload, nowSec) {
      // One UPDATE decides: concurrent consumers can't both see used_at IS NULL.
      const r = await db.query(
        `UPDATE ton_proof_payloads SET used_at = now()
         WHERE payload = $1 AND used_at IS NULL AND expires_at >= to_timestamp($2)
           AND user_id IS NOT DISTINCT FROM $3 RETURNING payload`,
        [payload, nowSec, userId],
      );
      if (r.rows.length) return 'ok';
      const row = (
        await db.query<{ used: boolean }>(
          'SELECT used_at IS NOT NULL AS used FROM ton_proof_payloads WHERE payload = $1 AND user_id IS NOT DISTINCT FROM $2',
          [payload, userId],
        )
      ).rows[0];
      if (!row) return 'unknown';
      return row.used ? 'used' : 'expired';
    },
  };
}

// ---------- withdrawals ----------

export interface WithdrawalRow {
  id: string;
  user_id: string;
  to_address: string;
  amount_nano: string;
  fee_nano: string;
  status: 'pending' | 'sent' | 'confirmed' | 'failed';
  idempotency_key: string;
  tx_hash: string | null;
  fees_paid_nano: string | null;
  reason: string | null;
  created_at: Date;
}

const ROW = `id::text AS id, user_id, to_address, amount_nano::text AS amount_nano, fee_nano::text AS fee_nano,
  status, idempotency_key, tx_hash, fees_paid_nano::text AS fees_paid_nano, reason, created_at`;

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

export async function findWithdrawal(
  q: Queryable,
  userId: string,
  idempotencyKey: string,
): Promise<WithdrawalRow | undefined> {
  const r = await q.query<WithdrawalRow>(
    `SELECT ${ROW} FROM ton_withdrawals WHERE user_id = $1 AND idempotency_key = $2`,
    [userId, idempotencyKey],
  );
  return r.rows[0];
}

export async function listWithdrawals(q: Queryable, userId: string): Promise<WithdrawalRow[]> {
  return (
    await q.query<WithdrawalRow>(
      `SELECT ${ROW} FROM ton_withdrawals WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT 100`,
      [userId],
    )
  ).rows;
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
    const existing = async () =>
      (
        await q.query<WithdrawalRow>(
          `SELECT ${ROW} FROM ton_withdrawals WHERE user_id = $1 AND idempotency_key = $2`,
          [args.userId, args.idempotencyKey],
        )
      ).rows[0];
    const first = await existing();
    if (first) return { withdrawal: first, created: false };
    const wallet = (
      await q.query<{ wallet_address: string | null }>('SELECT wallet_address FROM users WHERE id = $1', [
        args.userId,
      ])
    ).rows[0]?.wallet_address;
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
    const inserted = await q.query<WithdrawalRow>(
      `INSERT INTO ton_withdrawals (id, user_id, to_address, amount_nano, fee_nano, idempotency_key)
       VALUES ($1, $2, $3, $4::numeric, $5::numeric, $6)
       ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING ${ROW}`,
      [id, args.userId, wallet, args.amountNano, args.feeNano, args.idempotencyKey],
    );
    // A concurrent request with the same key committed first: answer with its withdrawal.
    if (!inserted.rows.length) return { withdrawal: (await existing())!, created: false };
    await postTx(q, {
      kind: 'withdrawal',
      ref: id,
      uniqueKey: `withdrawal:${id}`,
      transfers: [
        { from: userAccount(args.userId), to: SYSTEM.withdrawals, amount: args.amountNano },
        { from: userAccount(args.userId), to: SYSTEM.networkFees, amount: args.feeNano },
      ],
    });
    return { withdrawal: inserted.rows[0], created: true };
  });
}

/** How long a proxy process holds the right to send withdrawals without renewing it. */
export const SENDER_LEASE_S = 30;

/**
 * Only one process may sign with the service wallet at a time (one seqno, one message in flight).
 * Several proxies on one PostgreSQL share a lease row (kept in ton_watcher_cursor, id
 * 'withdrawal-sender-lease'); the holder renews it every tick, another takes over once it lapses.
 * Correctness doesn't rest on it (a message lands at most once and is requeued only when it
 * provably can't land), it just keeps two senders from wasting seqnos on each other.
 */
export async function holdSenderLease(q: Queryable, holder: string): Promise<boolean> {
  const r = await q.query(
    `INSERT INTO ton_watcher_cursor (id, cursor, updated_at)
     VALUES ('withdrawal-sender-lease', jsonb_build_object('holder', $1::text), now())
     ON CONFLICT (id) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()
     WHERE ton_watcher_cursor.cursor->>'holder' = $1::text
        OR ton_watcher_cursor.updated_at < now() - $2::int * interval '1 second'
     RETURNING id`,
    [holder, SENDER_LEASE_S],
  );
  return r.rows.length > 0;
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
      const r = await db.query<{ id: string; to_address: string; amount_nano: string }>(
        `SELECT id::text AS id, to_address, amount_nano::text AS amount_nano FROM ton_withdrawals
         WHERE status = 'pending' ORDER BY created_at, id LIMIT 1`,
      );
      const w = r.rows[0];
      return w ? { id: w.id, to: w.to_address, amountNano: BigInt(w.amount_nano) } : null;
    },
    async listSent(): Promise<SentWithdrawal[]> {
      if (!(await mine())) return [];
      const r = await db.query<{
        id: string;
        to_address: string;
        amount_nano: string;
        external_hash: string;
        seqno: number;
        valid_until: string;
        boc: string;
      }>(
        `SELECT id::text AS id, to_address, amount_nano::text AS amount_nano, external_hash, seqno,
           valid_until::text AS valid_until, boc
         FROM ton_withdrawals WHERE status = 'sent' ORDER BY sent_at, id LIMIT 100`,
      );
      return r.rows.map((w) => ({
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
      const r = await db.query(
        `UPDATE ton_withdrawals SET status = 'sent', external_hash = $2, seqno = $3, valid_until = $4,
           boc = $5, sent_at = now(), attempts = attempts + 1
         WHERE id = $1 AND status = 'pending' RETURNING id`,
        [id, t.externalHash, t.seqno, t.validUntil, t.boc],
      );
      if (!r.rows.length) throw new Error(`withdrawal ${id} is no longer pending`);
    },
    async markConfirmed(id, result) {
      await db.tx(async (q) => {
        const r = await q.query(
          `UPDATE ton_withdrawals SET status = 'confirmed', tx_hash = $2, fees_paid_nano = $3::numeric,
             finished_at = now() WHERE id = $1 AND status = 'sent' RETURNING id`,
          [id, result.txHash, result.feesPaidNano],
        );
        if (!r.rows.length) throw new Error(`withdrawal ${id} is not sent`);
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
        const r = await q.query<{ user_id: string; amount_nano: string; fee_nano: string }>(
          `UPDATE ton_withdrawals SET status = 'failed', reason = $2, finished_at = now()
           WHERE id = $1 AND status IN ('pending', 'sent')
           RETURNING user_id, amount_nano::text AS amount_nano, fee_nano::text AS fee_nano`,
          [id, reason.slice(0, 500)],
        );
        const w = r.rows[0];
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
      const r = await db.query(
        `UPDATE ton_withdrawals SET status = 'pending', reason = $2, external_hash = NULL, seqno = NULL,
           valid_until = NULL, boc = NULL WHERE id = $1 AND status = 'sent' RETURNING id`,
        [id, reason.slice(0, 500)],
      );
      if (!r.rows.length) throw new Error(`withdrawal ${id} is not sent`);
    },
  };
}

/** A rig owner's earnings from jobs whose audit is still open: not paid out, by any route, until decided. */
export async function earningsAwaitingAudit(q: Queryable, ownerId: string): Promise<bigint> {
  const r = await q.query<{ n: string }>(
    `SELECT coalesce(sum(j.rig_nano), 0)::text AS n FROM jobs j JOIN rigs r ON r.id = j.rig_id
     WHERE r.owner_id = $1 AND j.state = 'done' AND j.audit_state = 'pending'`,
    [ownerId],
  );
  return BigInt(r.rows[0].n);
}
