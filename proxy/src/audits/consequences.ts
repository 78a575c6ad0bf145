// What follows from audits, in the ledger: auditors are paid out of the platform's fees (at most the audited
// job's fee, in the kind of money that paid the job, never taking the fees below zero), and a rig proven
// wrong pays back in full every job nothing vouches for (its earnings first, the platform's fees for the
// rest), plus a penalty. Every movement is one double-entry posting with a unique key: never twice.

import { bondAccount } from '../bonds/bonds';
import type { Queryable } from '../db';
import {
  balanceOf,
  minNano,
  postTx,
  SYSTEM,
  starsAccount,
  starsHeldAccount,
  type Transfer,
  trialAccount,
  userAccount,
} from '../ledger/ledger';
import { lockBalance, postedOn } from '../ledger/repository';
import { queueOnchainRefund } from '../onchain-accounts/repository';
import { heldEarningsOfJob, holdStarsEarnings, takeBackHeldEarnings } from '../stars/earnings';
import type { AuditedJob, UnvouchedJob } from './repository';
import { setAuditState, unvouchedJobs } from './repository';

const min = minNano;

/**
 * What an auditor asks for a job: the tokens it processed at its own ask, never above the job's. What it is
 * paid is capped by what the job brought in (payAuditor).
 */
export function auditorPay(
  job: Pick<AuditedJob, 'prompt_tokens' | 'completion_tokens' | 'price_nano_per_1k'>,
  auditorAsk: bigint,
): bigint {
  const price = min(auditorAsk, BigInt(job.price_nano_per_1k));
  return (BigInt(job.prompt_tokens + job.completion_tokens) * price) / 1000n;
}

/**
 * The money an audited job brought in: its cost, the rig's share of it (the rest is the fee), its trial and
 * Stars parts.
 */
export interface JobMoney {
  id: string;
  costNano: bigint;
  rigNano: bigint;
  trialHeldNano: bigint;
  starsHeldNano: bigint;
}

export function jobMoney(
  job: Pick<AuditedJob, 'id' | 'cost_nano' | 'rig_nano' | 'hold_trial_nano' | 'hold_stars_nano'>,
): JobMoney {
  return {
    id: job.id,
    costNano: BigInt(job.cost_nano),
    rigNano: BigInt(job.rig_nano),
    trialHeldNano: BigInt(job.hold_trial_nano),
    starsHeldNano: BigInt(job.hold_stars_nano),
  };
}

/**
 * Splits `pay` as the job was paid: the share of the job's cost that trial credit paid is paid in trial
 * credit (spendable on jobs, never withdrawable), the share Stars credit paid in held earnings (withdrawable
 * after the Stars hold), the rest in withdrawable money (cash and Stars rounded down).
 */
export function splitAsPaid(pay: bigint, job: JobMoney): { cash: bigint; stars: bigint; trial: bigint } {
  if (job.costNano <= 0n) return { cash: 0n, stars: 0n, trial: pay };
  const trialCost = min(job.trialHeldNano, job.costNano);
  const starsCost = min(job.starsHeldNano, job.costNano - trialCost);
  const cashCost = job.costNano - trialCost - starsCost;
  const cash = (pay * cashCost) / job.costNano;
  const stars = (pay * starsCost) / job.costNano;
  return { cash, stars, trial: pay - cash - stars };
}

/** What the audits `auditIds` (the job's) were paid so far, from their postings. */
async function paidForAudits(q: Queryable, auditIds: readonly string[]): Promise<bigint> {
  return -(await postedOn(
    q,
    auditIds.map((id) => `audit-pay:${id}`),
    SYSTEM.fees,
  ));
}

/** The platform's fee balance, its row locked until the transaction ends (pay never takes it below zero). */
async function lockedFees(q: Queryable): Promise<bigint> {
  return lockBalance(q, SYSTEM.fees);
}

/**
 * Pays one auditor of `job` what it asks (`asked`), as far as the job's fee reaches after what its other
 * audits (`jobAuditIds`) were paid, and never more than the fee account holds: it pays less rather than
 * fail. Paid as the job was paid (splitAsPaid). Returns what was paid; once per audit (its unique key).
 */
export async function payAuditor(
  q: Queryable,
  job: JobMoney,
  a: { auditId: string; ownerId: string; asked: bigint; rigId?: string },
  jobAuditIds: readonly string[],
  /** STARS_EARNINGS_HOLD_MS: how long the Stars-paid part stays held (no default: 0 would release it at once). */
  starsHoldMs: number,
): Promise<bigint> {
  const left = job.costNano - job.rigNano - (await paidForAudits(q, jobAuditIds));
  const pay = min(min(a.asked, left), await lockedFees(q));
  if (pay <= 0n) return 0n;
  const { cash, stars, trial } = splitAsPaid(pay, job);
  const r = await postTx(q, {
    kind: 'audit-pay',
    ref: job.id,
    uniqueKey: `audit-pay:${a.auditId}`,
    transfers: [
      { from: SYSTEM.fees, to: userAccount(a.ownerId), amount: cash },
      { from: SYSTEM.fees, to: starsHeldAccount(a.ownerId), amount: stars },
      { from: SYSTEM.fees, to: trialAccount(a.ownerId), amount: trial },
    ],
  });
  if (!r.duplicate && stars > 0n)
    await holdStarsEarnings(q, starsHoldMs, {
      key: `audit-pay:${a.auditId}`,
      ownerId: a.ownerId,
      rigId: a.rigId ?? null,
      jobId: null,
      amount: stars,
    });
  return r.duplicate ? 0n : pay;
}

export interface Restitution {
  jobs: number;
  refundedNano: bigint;
  fromOwnerNano: bigint;
  penaltyNano: bigint;
}

/**
 * One job's refund: the user gets it all back (what came from trial credit back to trial credit, from Stars
 * credit back to Stars credit); the rig's share is taken back from what of it is still held (a Stars-paid
 * job's earnings before their release), then its bond, then its owner's earnings (withdrawable, then trial),
 * as far as they reach. The owner's trial credit is taken at most for the trial credit the user gets back: taken for a cash
 * refund, it would leave as cash (trial credit earned on trial-paid jobs laundered through a refunded cash
 * job). The fee account pays the rest as far as its balance reaches, never below zero; beyond that it is
 * the operator's loss (system:audit_shortfall), so the user is still paid back in full.
 */
async function refundTransfers(q: Queryable, job: UnvouchedJob, rigId: string, ownerId: string) {
  const total = BigInt(job.cost_nano);
  const rigShare = BigInt(job.rig_nano);
  const toTrial = min(total, BigInt(job.hold_trial_nano));
  const toStars = min(total - toTrial, BigInt(job.hold_stars_nano));
  const fromHeld = min(rigShare, await heldEarningsOfJob(q, job.id));
  const fromBond = min(rigShare - fromHeld, await balanceOf(q, bondAccount(rigId)));
  const fromCash = min(rigShare - fromHeld - fromBond, await balanceOf(q, userAccount(ownerId)));
  const ownerTrial = await balanceOf(q, trialAccount(ownerId));
  const fromTrial = min(min(rigShare - fromHeld - fromBond - fromCash, ownerTrial), toTrial);
  const fromOwner = fromHeld + fromBond + fromCash + fromTrial;
  const fromFees = max0(min(total - fromOwner, await lockedFees(q)));
  // A user who paid from their on-chain account is paid back into it (onchain-accounts/refunds.ts): the contract's
  // `claimed` never decreases, so the refund is a deposit the proxy sends, credited to the mirror when the
  // chain shows it, as any deposit is.
  const cashBack = total - toTrial - toStars;
  const transfers: Transfer[] = [
    { from: starsHeldAccount(ownerId), to: SYSTEM.fees, amount: fromHeld },
    { from: bondAccount(rigId), to: SYSTEM.fees, amount: fromBond },
    { from: userAccount(ownerId), to: SYSTEM.fees, amount: fromCash },
    { from: trialAccount(ownerId), to: SYSTEM.fees, amount: fromTrial },
    { from: SYSTEM.auditShortfall, to: SYSTEM.fees, amount: total - fromOwner - fromFees },
    { from: SYSTEM.fees, to: trialAccount(job.user_id), amount: toTrial },
    { from: SYSTEM.fees, to: starsAccount(job.user_id), amount: toStars },
    {
      from: SYSTEM.fees,
      to: job.pays_onchain ? SYSTEM.onchainDeposits : userAccount(job.user_id),
      amount: cashBack,
    },
  ];
  return { transfers, fromOwner, fromHeld, cashBack };
}

const max0 = (a: bigint): bigint => (a > 0n ? a : 0n);

/**
 * A rig was proven wrong: every finished job of it since its last passed audit goes back to its user in
 * full (refundTransfers). Then `penalty` is taken from what is left of the bond, then of the owner's
 * balance.
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
    const { transfers, fromOwner, fromHeld, cashBack } = await refundTransfers(q, job, rigId, ownerId);
    const r = await postTx(q, {
      kind: 'audit-refund',
      ref: job.id,
      uniqueKey: `audit-refund:${job.id}`,
      transfers,
    });
    await setAuditState(q, job.id, 'refunded');
    if (r.duplicate) continue;
    // What was taken back of the job's held Stars earnings is no longer theirs to release.
    if (fromHeld > 0n) await takeBackHeldEarnings(q, job.id, fromHeld);
    if (job.pays_onchain && cashBack > 0n) await queueOnchainRefund(q, job.id, job.user_id, cashBack);
    out.jobs++;
    out.refundedNano += BigInt(job.cost_nano);
    out.fromOwnerNano += fromOwner;
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
