// Rig owners' earnings paid through their RigAccount (docs/on-chain-accounts.md): the operator signs a
// cumulative amount per RigAccount, which the RigAccount presents to the vault; the vault pays the difference
// from what it paid that RigAccount before. The total is kept per wallet (a RigAccount's address derives
// from the vault and the wallet), as the contract keeps `paid` per RigAccount: a wallet switch starts the new
// wallet at what was moved to it, and a wallet another account used before continues its own total, so the
// vault never pays more than the ledger moved to payouts.

import { type RigAccount, rigAccountMessages, signEarningsVoucher } from '@cocoon/contracts';
import { earningsAwaitingAudit } from '../custodial/repository';
import type { Queryable } from '../db';
import { InsufficientFunds } from '../errors';
import { balanceOf, postTx, SYSTEM, userAccount } from '../ledger/ledger';
import { type OnchainContext, providerFor, rigAccountFor } from './context';
import { addToPayout, storePayoutSignature } from './repository';

/** What a RigAccount was paid (or is being paid) on chain, and its last sequence number. */
export interface RigAccountState {
  paid: bigint;
  lastSeq: bigint;
}

/**
 * Moves `amount` of a rig owner's withdrawable earnings to the on-chain payout of `wallet` (the owner's
 * bound wallet) and signs that wallet's RigAccount's new cumulative earnings (kept per wallet, as the
 * contract keeps `paid` per RigAccount).
 */
export async function payout(ctx: OnchainContext, ownerId: string, wallet: string, amount: bigint) {
  const rig = rigAccountFor(ctx, wallet);
  const onChain = await rigAccountState(ctx, rig);
  return ctx.db.tx(async (q) => {
    const total = await movePayout(q, { ownerId, wallet, amount, onChain });
    const voucher = { vault: ctx.vault.address, rigAccount: rig.address, ...total };
    const signature = signEarningsVoucher(voucher, ctx.operator.secretKey);
    await storePayoutSignature(q, wallet, signature);
    return { rigAccount: rig, voucher, signature };
  });
}

/** What a RigAccount has been paid (or is being paid) and its last sequence; zero while not deployed. */
async function rigAccountState(ctx: OnchainContext, rig: RigAccount): Promise<RigAccountState> {
  if (!(await ctx.chain.runGetMethod(rig.address.toString(), 'get_rig_data')))
    return { paid: 0n, lastSeq: 0n };
  const data = await rig.getRigData(providerFor(ctx.chain, rig.address));
  // A claim in flight (`pending`, above `paid`) will be paid: count it.
  return { paid: data.pending !== 0n ? data.pending : data.paid, lastSeq: data.lastSeq };
}

/** The claim_earnings body a rig owner's wallet sends its RigAccount (TON Connect payload, base64). */
export function claimEarningsPayload(amount: bigint, seq: bigint, signature: Uint8Array): string {
  return rigAccountMessages
    .claimEarnings({ amount, seq, signature: Buffer.from(signature) })
    .toBoc()
    .toString('base64');
}

/** Checks the owner may move `amount` now (earnings past their audits), before the voucher is signed. */
async function checkPayable(q: Queryable, ownerId: string, amount: bigint): Promise<void> {
  // Earnings enter the voucher only once their audits are decided (as for any withdrawal).
  const waiting = await earningsAwaitingAudit(q, ownerId);
  const balance = await balanceOf(q, userAccount(ownerId));
  if (balance - waiting < amount)
    throw new InsufficientFunds(
      `you can move at most ${balance - waiting > 0n ? balance - waiting : 0n} nanoTON now${waiting > 0n ? ` (${waiting} wait for their audits)` : ''}`,
    );
}

/**
 * Moves `amount` of the owner's withdrawable earnings to `wallet`'s payout: the ledger debit and the wallet's
 * new cumulative total and sequence number (to sign), in the caller's transaction. The total never falls
 * below what the RigAccount was paid on chain, nor the sequence below its last: a wallet whose vouchers were
 * signed before totals were kept per wallet continues from the chain's count.
 */
export async function movePayout(
  q: Queryable,
  a: { ownerId: string; wallet: string; amount: bigint; onChain: RigAccountState },
): Promise<{ amount: bigint; seq: bigint }> {
  await checkPayable(q, a.ownerId, a.amount);
  const total = await addToPayout(q, {
    wallet: a.wallet,
    ownerId: a.ownerId,
    amount: a.amount,
    paidOnChain: a.onChain.paid,
    lastSeqOnChain: a.onChain.lastSeq,
  });
  // Keyed by the wallet's new sequence number: each posting is its own, and never twice.
  await postTx(q, {
    kind: 'onchain_payout',
    ref: a.ownerId,
    uniqueKey: `onchain-payout:${a.wallet}:${total.seq}`,
    transfers: [{ from: userAccount(a.ownerId), to: SYSTEM.onchainPayouts, amount: a.amount }],
  });
  return total;
}
