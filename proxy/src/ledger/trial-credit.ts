// Trial credit: what a new user gets to try the network. It lives in its own account per user
// (trial:<id>), pays for jobs before the user's own money does, and can never be withdrawn. A rig paid
// from someone's trial credit earns trial credit, so "A's trial pays B's rig, B withdraws" moves nothing
// withdrawable: the trial account stays a closed loop of job payments.
import { holdAccount, minNano, SYSTEM, type Transfer, trialAccount, userAccount } from './ledger';

const min = minNano;

/**
 * The transfers that take a job's hold: trial credit first, the rest from the payer's money: the
 * withdrawable balance, or the on-chain account's mirror (onchain:<user>) for a user who pays on chain.
 */
export function holdTransfers(
  jobId: string,
  userId: string,
  hold: bigint,
  trialBalance: bigint,
  payer = userAccount(userId),
) {
  const fromTrial = min(hold, trialBalance);
  return {
    fromTrial,
    transfers: [
      { from: trialAccount(userId), to: holdAccount(jobId), amount: fromTrial },
      { from: payer, to: holdAccount(jobId), amount: hold - fromTrial },
    ] satisfies Transfer[],
  };
}

/** Gives a whole hold back where it came from (a failed or expired job). */
export function releaseTransfers(
  jobId: string,
  userId: string,
  held: bigint,
  trialHeld: bigint,
  payer = userAccount(userId),
): Transfer[] {
  const toTrial = min(held, trialHeld);
  return [
    { from: holdAccount(jobId), to: trialAccount(userId), amount: toTrial },
    { from: holdAccount(jobId), to: payer, amount: held - toTrial },
  ];
}

/** What a settled job cost the payer beyond trial credit: what an on-chain payer's voucher must cover. */
export function cashCharged(trialHeld: bigint, rigNano: bigint, feeNano: bigint): bigint {
  const total = rigNano + feeNano;
  return total - min(trialHeld, total);
}

/** The part of a rig's earnings on a job that reaches its owner as withdrawable money (the rest is trial credit). */
export function ownerCashShare(trialHeld: bigint, rigNano: bigint, feeNano: bigint): bigint {
  return rigNano - min(rigNano, min(trialHeld, rigNano + feeNano));
}

/**
 * Settles a job: the charge is paid from the trial part of the hold first, and the rig's share of that
 * part reaches its owner as trial credit; the fee goes to the platform; the rest of the hold goes back
 * where it came from.
 */
export function settleTransfers(a: {
  jobId: string;
  userId: string;
  ownerId: string;
  hold: bigint;
  trialHeld: bigint;
  rigNano: bigint;
  feeNano: bigint;
  /** Where the non-trial part of the hold came from (default: the user's withdrawable balance). */
  payer?: string;
}): Transfer[] {
  const total = a.rigNano + a.feeNano;
  const trialSpent = min(a.trialHeld, total);
  const rigFromTrial = a.rigNano - ownerCashShare(a.trialHeld, a.rigNano, a.feeNano);
  const trialBack = a.trialHeld - trialSpent;
  const hold = holdAccount(a.jobId);
  return [
    { from: hold, to: trialAccount(a.ownerId), amount: rigFromTrial },
    { from: hold, to: userAccount(a.ownerId), amount: a.rigNano - rigFromTrial },
    { from: hold, to: SYSTEM.fees, amount: a.feeNano },
    { from: hold, to: trialAccount(a.userId), amount: trialBack },
    { from: hold, to: a.payer ?? userAccount(a.userId), amount: a.hold - total - trialBack },
  ];
}
