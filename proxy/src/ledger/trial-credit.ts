// Trial credit: what a new user gets to try the network. It lives in its own account per user
// (trial:<id>), pays for jobs before the user's own money does, and can never be withdrawn. A rig paid
// from someone's trial credit earns trial credit, so "A's trial pays B's rig, B withdraws" moves nothing
// withdrawable: the trial account stays a closed loop of job payments.
//
// Stars credit (stars:<id>, bought with Telegram Stars) is the second source, in this order: trial credit
// first, then Stars credit, then the payer's own money (withdrawable, or the on-chain account's mirror). A
// rig paid from Stars credit earns withdrawable money, but held (stars-held:<owner>) until Telegram's own hold
// on Stars revenue is over (stars/earnings.ts). Work paid in Stars is never part of an on-chain voucher.

import {
  holdAccount,
  minNano,
  SYSTEM,
  starsAccount,
  starsHeldAccount,
  type Transfer,
  trialAccount,
  userAccount,
} from './ledger';

const min = minNano;

/** How much of a job's hold came from trial credit and from Stars credit (the rest: the payer's money). */
export interface HeldFrom {
  trial: bigint;
  stars: bigint;
}

/**
 * The transfers that take a job's hold: trial credit first, then Stars credit, the rest from the payer's
 * money: the withdrawable balance, or the on-chain account's mirror (onchain:<user>) for a user who pays on
 * chain.
 */
export function holdTransfers(
  jobId: string,
  userId: string,
  hold: bigint,
  balances: HeldFrom,
  payer = userAccount(userId),
) {
  const fromTrial = min(hold, balances.trial);
  const fromStars = min(hold - fromTrial, balances.stars);
  return {
    fromTrial,
    fromStars,
    transfers: [
      { from: trialAccount(userId), to: holdAccount(jobId), amount: fromTrial },
      { from: starsAccount(userId), to: holdAccount(jobId), amount: fromStars },
      { from: payer, to: holdAccount(jobId), amount: hold - fromTrial - fromStars },
    ] satisfies Transfer[],
  };
}

/** Gives a whole hold back where it came from (a failed or expired job). */
export function releaseTransfers(
  jobId: string,
  userId: string,
  held: bigint,
  from: HeldFrom,
  payer = userAccount(userId),
): Transfer[] {
  const toTrial = min(held, from.trial);
  const toStars = min(held - toTrial, from.stars);
  return [
    { from: holdAccount(jobId), to: trialAccount(userId), amount: toTrial },
    { from: holdAccount(jobId), to: starsAccount(userId), amount: toStars },
    { from: holdAccount(jobId), to: payer, amount: held - toTrial - toStars },
  ];
}

/** How a settled job's charge (rig + fee) was paid, source by source, and what of it the rig earned from each. */
export function chargeSplit(from: HeldFrom, rigNano: bigint, feeNano: bigint) {
  const total = rigNano + feeNano;
  const trialSpent = min(from.trial, total);
  const starsSpent = min(from.stars, total - trialSpent);
  // The rig's share comes out of the sources in the same order: trial first, then Stars, then cash.
  const rigFromTrial = min(rigNano, trialSpent);
  const rigFromStars = min(rigNano - rigFromTrial, starsSpent);
  return {
    trialSpent,
    starsSpent,
    cashSpent: total - trialSpent - starsSpent,
    rigFromTrial,
    rigFromStars,
    rigFromCash: rigNano - rigFromTrial - rigFromStars,
  };
}

/**
 * What a settled job cost the payer beyond trial and Stars credit: what an on-chain payer's voucher must
 * cover (never work paid in Stars).
 */
export function cashCharged(from: HeldFrom, rigNano: bigint, feeNano: bigint): bigint {
  return chargeSplit(from, rigNano, feeNano).cashSpent;
}

/**
 * The part of a rig's earnings on a job that reaches its owner as withdrawable money at once (the rest is
 * trial credit, or held Stars earnings).
 */
export function ownerCashShare(from: HeldFrom, rigNano: bigint, feeNano: bigint): bigint {
  return chargeSplit(from, rigNano, feeNano).rigFromCash;
}

/**
 * Settles a job: the charge is paid from the trial part of the hold first, then its Stars part, then the
 * rest; the rig's share of the trial part reaches its owner as trial credit, of the Stars part as held
 * earnings (stars-held:<owner>; the caller records when they are released), of the rest as withdrawable
 * money; the fee goes to the platform; what is left of the hold goes back where it came from.
 */
export function settleTransfers(a: {
  jobId: string;
  userId: string;
  ownerId: string;
  hold: bigint;
  from: HeldFrom;
  rigNano: bigint;
  feeNano: bigint;
  /** Where the rest of the hold came from (default: the user's withdrawable balance). */
  payer?: string;
}): Transfer[] {
  const split = chargeSplit(a.from, a.rigNano, a.feeNano);
  const trialBack = a.from.trial - split.trialSpent;
  const starsBack = a.from.stars - split.starsSpent;
  const hold = holdAccount(a.jobId);
  return [
    { from: hold, to: trialAccount(a.ownerId), amount: split.rigFromTrial },
    { from: hold, to: starsHeldAccount(a.ownerId), amount: split.rigFromStars },
    { from: hold, to: userAccount(a.ownerId), amount: split.rigFromCash },
    { from: hold, to: SYSTEM.fees, amount: a.feeNano },
    { from: hold, to: trialAccount(a.userId), amount: trialBack },
    { from: hold, to: starsAccount(a.userId), amount: starsBack },
    {
      from: hold,
      to: a.payer ?? userAccount(a.userId),
      amount: a.hold - a.rigNano - a.feeNano - trialBack - starsBack,
    },
  ];
}
