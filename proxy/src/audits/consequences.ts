// What follows from audits, in the ledger: auditors are paid out of the platform's fees, and a rig proven
// wrong pays back in full every job nothing vouches for (its earnings first, the platform's fees for the
// rest), plus a penalty. Every movement is one double-entry posting with a unique key: never twice.
import type { Queryable } from '../db';
import {
  balanceOf,
  minNano,
  postTx,
  SYSTEM,
  type Transfer,
  trialAccount,
  userAccount,
} from '../ledger/ledger';
import { queueOnchainRefund } from '../onchain/refunds';
import { bondAccount } from './bonds';
import type { AuditedJob } from './repository';
import { setAuditState, unvouchedJobs } from './repository';

const min = minNano;

/**
 * The auditor's pay: the tokens it processed at its own ask, never above the job's, from the platform's fee
 * account (the user pays nothing for audits). During probation this can exceed the job's fee.
 */
export function auditorPay(
  job: Pick<AuditedJob, 'prompt_tokens' | 'completion_tokens' | 'price_nano_per_1k'>,
  auditorAsk: bigint,
): bigint {
  const price = min(auditorAsk, BigInt(job.price_nano_per_1k));
  return (BigInt(job.prompt_tokens + job.completion_tokens) * price) / 1000n;
}

export async function payAuditor(
  q: Queryable,
  auditId: string,
  jobId: string,
  auditorOwnerId: string,
  amount: bigint,
): Promise<void> {
  await postTx(q, {
    kind: 'audit-pay',
    ref: jobId,
    uniqueKey: `audit-pay:${auditId}`,
    transfers: [{ from: SYSTEM.fees, to: userAccount(auditorOwnerId), amount }],
  });
}

export interface Restitution {
  jobs: number;
  refundedNano: bigint;
  fromOwnerNano: bigint;
  penaltyNano: bigint;
}

/**
 * A rig was proven wrong: every finished job of it since its last passed audit goes back to its user in
 * full (what came from trial credit back to trial credit). The rig's share is taken back from its bond, then
 * its owner's earnings (withdrawable, then trial), as far as they reach; the platform's fees cover the rest
 * and the fee part. Then `penalty` is taken from what is left of the bond, then of the owner's balance.
 */
export async function refundUnvouched(
  q: Queryable,
  rigId: string,
  ownerId: string,
  penalty: bigint,
  key: string,
): Promise<Restitution> {
  const out: Restitution = { jobs: 0, refundedNano: 0n, fromOwnerNano: 0n, penaltyNano: 0n };
  for (const job of await unvouchedJobs(q, rigId)) {
    const total = BigInt(job.cost_nano);
    const rigShare = BigInt(job.rig_nano);
    const fromBond = min(rigShare, await balanceOf(q, bondAccount(rigId)));
    const fromCash = min(rigShare - fromBond, await balanceOf(q, userAccount(ownerId)));
    const fromTrial = min(rigShare - fromBond - fromCash, await balanceOf(q, trialAccount(ownerId)));
    const toTrial = min(total, BigInt(job.hold_trial_nano));
    // The fee account pays the user in full; the owner's share comes back to it as far as it reaches. A user
    // who paid from their on-chain account is paid back into it (onchain/refunds.ts): the contract's
    // `claimed` never decreases, so the refund is a deposit the proxy sends, credited to the mirror when
    // the chain shows it, as any deposit is.
    const cashBack = total - toTrial;
    const transfers: Transfer[] = [
      { from: bondAccount(rigId), to: SYSTEM.fees, amount: fromBond },
      { from: userAccount(ownerId), to: SYSTEM.fees, amount: fromCash },
      { from: trialAccount(ownerId), to: SYSTEM.fees, amount: fromTrial },
      { from: SYSTEM.fees, to: trialAccount(job.user_id), amount: toTrial },
      {
        from: SYSTEM.fees,
        to: job.pays_onchain ? SYSTEM.onchainDeposits : userAccount(job.user_id),
        amount: cashBack,
      },
    ];
    const r = await postTx(q, {
      kind: 'audit-refund',
      ref: job.id,
      uniqueKey: `audit-refund:${job.id}`,
      transfers,
    });
    await setAuditState(q, job.id, 'refunded');
    if (r.duplicate) continue;
    if (job.pays_onchain && cashBack > 0n) await queueOnchainRefund(q, job.id, job.user_id, cashBack);
    out.jobs++;
    out.refundedNano += total;
    out.fromOwnerNano += fromBond + fromCash + fromTrial;
  }
  const fromBond = min(penalty, await balanceOf(q, bondAccount(rigId)));
  const fromCash = min(penalty - fromBond, await balanceOf(q, userAccount(ownerId)));
  out.penaltyNano = fromBond + fromCash;
  await postTx(q, {
    kind: 'audit-penalty',
    ref: rigId,
    uniqueKey: `audit-penalty:${key}`,
    transfers: [
      { from: bondAccount(rigId), to: SYSTEM.fees, amount: fromBond },
      { from: userAccount(ownerId), to: SYSTEM.fees, amount: fromCash },
    ],
  });
  return out;
}
