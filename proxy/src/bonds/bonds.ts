// Bonds: what a rig's owner puts at stake so strangers can trust its unaudited work. The money is the ledger
// account bond:<rig id>. Past probation (its first AUDIT_PROBATION_JOBS jobs, all audited) a rig is offered
// to clients only while the value of its unvouched work (jobs done since its last passed audit) is below its
// bond; a bond short of BOND_NANO is filled from the rig's earnings as they come. A rig proven wrong pays
// its victims back from the bond first (audits/consequences.ts). The bond comes back to its owner on request,
// after BOND_COOLING_OFF_MS, with no audit of the rig open. From the moment the owner asks, the rig is no
// longer bonded: past probation it is not offered to clients, and it doesn't audit (audits/trust.ts), so no new
// unvouched work is done on a bond that is leaving, and the cooling-off is time for audits of the work
// already done to catch up. The operator's own rigs need no bond.
// Its own module, below rigs, market, jobs and audits, which all read a rig's bond.
import type { Config } from '../config';
import type { Queryable } from '../db';
import { HttpError } from '../errors';
import { balanceOf, minNano, postTx, SYSTEM, userAccount } from '../ledger/ledger';
import { lockBondWithdrawal, rigInProbation, setBondWithdrawRequested } from './repository';

export const bondAccount = (rigId: string) => `bond:${rigId}`;

type BondRules = Pick<Config, 'AUDIT_PROBATION_JOBS' | 'BOND_NANO' | 'OPERATOR_OWNER_IDS'>;

/** A rig's standing, as the price board and the metrics count it. */
export type Standing = 'operator' | 'probation' | 'bonded' | 'capped' | 'quarantined';
export const STANDINGS: readonly Standing[] = ['operator', 'probation', 'bonded', 'capped', 'quarantined'];

export function isOperatorRig(rules: BondRules, ownerId: string): boolean {
  return rules.OPERATOR_OWNER_IDS.includes(ownerId);
}

/** Moves `amount` of the owner's withdrawable balance into the rig's bond. */
export async function addToBond(
  q: Queryable,
  rigId: string,
  ownerId: string,
  amount: bigint,
  key: string,
): Promise<void> {
  await postTx(q, {
    kind: 'bond',
    ref: rigId,
    uniqueKey: `bond:${key}`,
    transfers: [{ from: userAccount(ownerId), to: bondAccount(rigId), amount }],
  });
}

/**
 * After a settlement: a rig past probation whose bond is short of BOND_NANO keeps the shortfall from its
 * owner's withdrawable share of this job (trial credit never becomes a bond). Call in the settlement's
 * transaction, after the owner was paid.
 */
export async function keepForBond(
  q: Queryable,
  rules: BondRules,
  job: { id: string; rigId: string; ownerId: string; cashShare: bigint },
): Promise<void> {
  if (job.cashShare <= 0n || isOperatorRig(rules, job.ownerId)) return;
  if ((await rigInProbation(q, rules, job.rigId)) !== false) return;
  const short = rules.BOND_NANO - (await balanceOf(q, bondAccount(job.rigId)));
  if (short <= 0n) return;
  const keep = minNano(short, job.cashShare);
  await postTx(q, {
    kind: 'bond',
    ref: job.rigId,
    uniqueKey: `bond-keep:${job.id}`,
    transfers: [{ from: userAccount(job.ownerId), to: bondAccount(job.rigId), amount: keep }],
  });
}

/**
 * The owner asks for the bond back: the first call starts the cooling-off (and from then on the rig is not
 * bonded: bondedSql); a call after it, with no audit
 * of the rig open, pays the bond out. Throws HttpError 409 saying when, or what is open.
 */
export async function withdrawBond(
  q: Queryable,
  config: Pick<Config, 'BOND_COOLING_OFF_MS'>,
  rigId: string,
  ownerId: string,
): Promise<{ paidNano: bigint }> {
  const row = (await lockBondWithdrawal(q, rigId))!;
  const bond = await balanceOf(q, bondAccount(rigId));
  if (bond === 0n) throw new HttpError(409, 'no_bond', 'this rig has no bond to withdraw');
  if (!row.requested) {
    await setBondWithdrawRequested(q, rigId, true);
    return { paidNano: 0n };
  }
  const at = new Date(new Date(row.requested).getTime() + config.BOND_COOLING_OFF_MS);
  if (at.getTime() > Date.now())
    throw new HttpError(409, 'bond_cooling_off', `the bond can be withdrawn from ${at.toISOString()}`);
  if (Number(row.open) > 0)
    throw new HttpError(409, 'audit_open', 'an audit of this rig is open; try again when it is decided');
  await postTx(q, {
    kind: 'bond-return',
    ref: rigId,
    uniqueKey: `bond-return:${rigId}:${new Date(row.requested).getTime()}`,
    transfers: [{ from: bondAccount(rigId), to: userAccount(ownerId), amount: bond }],
  });
  await setBondWithdrawRequested(q, rigId, false);
  return { paidNano: bond };
}

/**
 * An auditor outvoted by the operator's rig loses its whole bond to the platform (one posting per audit that
 * outvoted it). Returns what it lost.
 */
export async function forfeitBond(q: Queryable, rigId: string, key: string): Promise<bigint> {
  const bond = await balanceOf(q, bondAccount(rigId));
  if (bond <= 0n) return 0n;
  await postTx(q, {
    kind: 'audit-penalty',
    ref: rigId,
    uniqueKey: `bond-forfeit:${key}`,
    transfers: [{ from: bondAccount(rigId), to: SYSTEM.fees, amount: bond }],
  });
  return bond;
}
