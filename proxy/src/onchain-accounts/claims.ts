// Vouchers and claims: each job paid from an on-chain account waits for the user's voucher (their spend key
// signs the cumulative amount), and the latest voucher is claimed from the vault in batches (above
// ONCHAIN_CLAIM_THRESHOLD_NANO, or at once while the user exits, so it lands within the close delay).
import { vaultMessages, verifySpendVoucher } from '@cocoon/contracts';
import { Address } from '@ton/core';
import { conflict, HttpError, notFound } from '../errors';
import { syncAccount } from './accounts';
import { type OnchainContext, vaultAddress } from './context';
import {
  lockVoucherDue,
  lockVoucherState,
  markClaiming,
  markJobVouchered,
  recordVoucher,
} from './repository';

/** Value a claim carries: the vault forwards part to the account and returns the rest. */
const CLAIM_VALUE = 50_000_000n;

/**
 * Takes the user's voucher for a finished job: it must cover exactly what was signed before plus this
 * job's cash cost, with the next sequence number, signed by the account's spend key.
 */
export async function acceptVoucher(
  ctx: OnchainContext,
  userId: string,
  jobId: string,
  v: { amountNano: bigint; seq: bigint; signature: Buffer },
): Promise<{ vouchered: bigint; seq: bigint }> {
  const result = await ctx.db.tx(async (q) => {
    const job = await lockVoucherDue(q, jobId, userId);
    if (!job) throw notFound('no such job of yours');
    if (job.due === null) throw conflict('this job owes no voucher', 'no_voucher_due');
    if (job.vouchered_at) throw conflict('this job was already signed for', 'already_vouchered');
    const row = await lockVoucherState(q, userId);
    if (!row) throw conflict('you have no on-chain account', 'no_onchain_account');
    const expected = BigInt(row.vouchered) + BigInt(job.due);
    const nextSeq = BigInt(row.voucher_seq) + 1n;
    if (v.amountNano !== expected || v.seq !== nextSeq)
      throw conflict(
        `the voucher must say amount ${expected} (what you signed before, ${row.vouchered}, plus this job's ${job.due}) and seq ${nextSeq}`,
        'wrong_voucher',
      );
    const voucher = {
      vault: ctx.vault.address,
      account: Address.parse(row.address),
      amount: v.amountNano,
      seq: v.seq,
    };
    if (!verifySpendVoucher(voucher, v.signature, Buffer.from(row.spend_key, 'hex')))
      throw new HttpError(400, 'bad_signature', "the voucher is not signed by the account's spend key");
    await recordVoucher(q, userId, expected, nextSeq, v.signature.toString('base64'));
    await markJobVouchered(q, jobId);
    return { vouchered: expected, seq: nextSeq };
  });
  // A voucher that brings the unclaimed amount past the threshold is claimed now (its message sent, not
  // waited for on chain): the voucher is accepted whatever the chain says, the sweep tries again.
  await claimIfDue(ctx, userId).catch((err) => ctx.log.warn({ err, userId }, 'claim failed'));
  return result;
}

/**
 * Claims a user's latest voucher on chain when what it adds passes the threshold, or at once while the
 * user is exiting (the contract still accepts it during the close delay). One claim in flight per user.
 */
export async function claimIfDue(ctx: OnchainContext, userId: string, force = false): Promise<boolean> {
  const row = await syncAccount(ctx, userId);
  // A claim in flight for less than ten minutes is waited for; one older than that was lost (bounced,
  // expired) and is sent again.
  const inFlight =
    row?.claiming_seq !== null && row?.claiming_at && Date.now() - row.claiming_at.getTime() < 600_000;
  if (!row?.voucher_signature || inFlight) return false;
  const unclaimed = BigInt(row.vouchered) - BigInt(row.claimed);
  if (unclaimed <= 0n) return false;
  const exiting = row.close_requested_at !== null;
  if (!force && !exiting && unclaimed < ctx.config.ONCHAIN_CLAIM_THRESHOLD_NANO) return false;
  const call = await ctx.chain.prepareContractCall([
    {
      to: vaultAddress(ctx),
      amountNano: CLAIM_VALUE,
      body: vaultMessages.claim({
        owner: Address.parse(row.wallet),
        amount: BigInt(row.vouchered),
        seq: BigInt(row.voucher_seq),
        signature: Buffer.from(row.voucher_signature, 'base64'),
      }),
    },
  ]);
  await markClaiming(ctx.db, userId, row.voucher_seq);
  await ctx.chain.sendExternalBoc(call.boc);
  ctx.log.info({ userId, amount: row.vouchered, unclaimed: unclaimed.toString() }, 'voucher claimed');
  await syncAccount(ctx, userId);
  return true;
}
