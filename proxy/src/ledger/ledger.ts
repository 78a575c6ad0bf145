// The double-entry ledger. Every transaction moves amounts between accounts and its entries sum to zero.
// Balances live on the account rows, updated in the same transaction; user accounts can't go negative.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db';
import { InsufficientFunds } from '../errors';
import { balancesOf, insertPosting } from './repository';

export { balanceOf, heldFor, ledgerTotals } from './repository';

export const SYSTEM = {
  deposits: 'system:deposits',
  withdrawals: 'system:withdrawals',
  fees: 'system:fees',
  trial: 'system:trial',
  unclaimed: 'system:unclaimed',
  networkFees: 'system:network_fees',
  /** On-chain accounts: deposits seen in users' account contracts, and exits paid out of them. */
  onchainDeposits: 'system:onchain_deposits',
  onchainWithdrawals: 'system:onchain_withdrawals',
  /** What an exit took beyond the mirror's balance (jobs it had not paid for yet): the operator's loss. */
  onchainShortfall: 'system:onchain_shortfall',
  /** What refunds of a rig proven wrong cost beyond its owner's money and the fees: the operator's loss. */
  auditShortfall: 'system:audit_shortfall',
  /** Rig owners' earnings moved to their on-chain payout vouchers. */
  onchainPayouts: 'system:onchain_payouts',
  /** Telegram Stars: where Stars credit comes from, and goes back to when refunded or reversed (stars/). */
  starsSales: 'system:stars_sales',
  /** What operator refunds of already spent Stars credit cost: the operator's loss. */
  starsRefundShortfall: 'system:stars_refund_shortfall',
} as const;

export const userAccount = (userId: string) => `user:${userId}`;
/** The smaller of two amounts (Math.min takes no bigints). */
export const minNano = (a: bigint, b: bigint): bigint => (a < b ? a : b);
/** Trial credit: spendable on jobs, never withdrawable (see trial-credit.ts). */
export const trialAccount = (userId: string) => `trial:${userId}`;
export const holdAccount = (jobId: string) => `hold:${jobId}`;
/** Credit bought with Telegram Stars: spendable on jobs (after trial credit), never withdrawable (stars/). */
export const starsAccount = (userId: string) => `stars:${userId}`;
/** A rig owner's earnings from Stars-paid jobs, held until STARS_EARNINGS_HOLD_MS has passed (stars/earnings.ts). */
export const starsHeldAccount = (userId: string) => `stars-held:${userId}`;
/**
 * What a user owes for a Stars charge Telegram reversed after its credit was spent: an asset of the operator,
 * so, like the other system accounts, it goes below zero (owed = -balance); the user's own accounts never do.
 */
export const starsReceivableAccount = (userId: string) => `system:stars_receivable:${userId}`;
/** The ledger's mirror of a user's on-chain account: spendable on jobs, paid out only by the contract. */
export const onchainAccount = (userId: string) => `onchain:${userId}`;

export interface Transfer {
  from: string;
  to: string;
  amount: bigint;
}

function mayGoNegative(account: string): boolean {
  return account.startsWith('system:');
}

/**
 * Posts one ledger transaction. With `uniqueKey`, a second post with the same key does nothing and
 * reports `duplicate: true` (a deposit seen twice, a job settled twice). Throws InsufficientFunds when a
 * user or hold account would go below zero (or doesn't exist); the caller's database transaction then
 * rolls back, so post inside one whenever a user or hold account pays.
 */
export async function postTx(
  q: Queryable,
  tx: { kind: string; ref?: string; uniqueKey?: string; transfers: Transfer[] },
): Promise<{ txId: string; duplicate: boolean }> {
  const deltas = new Map<string, bigint>();
  for (const t of tx.transfers) {
    if (t.amount < 0n) throw new RangeError('transfer amounts are non-negative');
    if (t.amount === 0n) continue;
    deltas.set(t.from, (deltas.get(t.from) ?? 0n) - t.amount);
    deltas.set(t.to, (deltas.get(t.to) ?? 0n) + t.amount);
  }
  const accounts = [...deltas.keys()].sort();
  // A user or hold account that pays must already exist and stays at or above zero (the CHECK
  // constraint): a plain UPDATE. Every other account (credited, or a system account) is created on first
  // use: an upsert, which is safe because PostgreSQL checks the CHECK constraint on the proposed row
  // before it sees the conflict, and these proposed rows always pass it.
  const debits = accounts.filter((a) => !mayGoNegative(a) && deltas.get(a)! < 0n);
  const upserts = accounts.filter((a) => !debits.includes(a));
  const txId = randomUUID();
  let r: { inserted: number; debited: number };
  try {
    // One statement, one round trip: the ledger_tx row (a duplicate key stops everything else), the
    // balances and the entries. The upserted rows are locked in sorted order. Deadlock-free for the
    // transactions we post, where the only paying user or hold account is never credited by another
    // posting at the same time (a hold is paid from once; a user pays only for their own quote or
    // withdrawal); a user-to-user transfer would need both sides in one sorted lock order.
    r = await insertPosting(q, {
      txId,
      kind: tx.kind,
      ref: tx.ref ?? null,
      uniqueKey: tx.uniqueKey ?? null,
      debits: debits.map((id) => ({ id, delta: deltas.get(id)! })),
      upserts: upserts.map((id) => ({ id, delta: deltas.get(id)!, mayGoNegative: mayGoNegative(id) })),
      entries: accounts.map((id) => ({ id, delta: deltas.get(id)! })),
    });
  } catch (err) {
    if ((err as { code?: string }).code === '23514') throw insufficient(debits);
    throw err;
  }
  const { inserted, debited } = r;
  if (inserted === 0) return { txId, duplicate: true };
  // A paying account that doesn't exist has nothing to pay with; the caller's transaction rolls back.
  if (debited < debits.length) throw insufficient(debits);
  return { txId, duplicate: false };
}

function insufficient(debits: string[]): InsufficientFunds {
  return new InsufficientFunds(
    debits.some((a) => a.startsWith('user:') || a.startsWith('trial:') || a.startsWith('stars:'))
      ? 'insufficient balance'
      : 'hold exceeded',
  );
}

/** A user's money: what can be withdrawn, and trial credit that can only pay for jobs. */
export async function userBalances(
  q: Queryable,
  userId: string,
): Promise<{ withdrawable: bigint; trial: bigint }> {
  const balances = await balancesOf(q, [userAccount(userId), trialAccount(userId)]);
  const of = (id: string) => balances.get(id) ?? 0n;
  return { withdrawable: of(userAccount(userId)), trial: of(trialAccount(userId)) };
}
