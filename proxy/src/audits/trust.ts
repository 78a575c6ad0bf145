// Who may audit, and who may convict: the rules that keep a Sybil (one person behind many fresh rigs and
// accounts) from turning audits against honest rigs. The SQL they need lives in repository.ts.
//
// - A trusted auditor is a rig that is not quarantined, not banned from auditing (outvoted once) and either
//   the operator's own or past probation with a bond of at least BOND_NANO (when bonds are on; not one its
//   owner asked back) and at least
//   AUDITOR_PASSES passed audits (by trusted auditors, the only ones whose verdicts count) since its
//   probation began. A rig in probation never audits: a fresh account has nothing at stake, and a group of
//   rigs can't make one another auditors without strangers vouching for them.
// - Auditors are drawn only among trusted auditors the job's envelope was sealed to, never of the audited
//   rig's owner, never a rig that tried the job before (it may have failed it on purpose), and the two
//   auditors of one job have different owners. The operator's rigs are asked first; otherwise the draw is
//   weighted by bond, so many rigs of one owner share that owner's stake and fresh rigs weigh nothing.
// - Conviction (refund and quarantine) needs fail verdicts from trusted auditors of at least two owners
//   whose bonds together cover the refund it causes, or the operator's rig. Anything less is disputed: no
//   money moves, nobody is quarantined, and the rig is audited more often. Where the operator's rig and
//   another auditor disagree, the operator's verdict decides and the other auditor is outvoted: it loses its
//   bond and its place among auditors. A verdict from a rig that is no longer trusted counts for nothing.
// - A trusted pass vouches even when another trusted auditor fails the job: the job is disputed for
//   conviction (no money moves, nobody is quarantined), but the pass ends its exposure, so it no longer
//   counts toward the rig's bond cap (bonds.ts). Otherwise one hostile trusted auditor could fail every job of
//   an honest rig at no cost and, each disputed job staying unvouched, push the rig's exposure up to its bond
//   until the rig is off the market. The price: a cheater with one colluding trusted auditor that passes it
//   gets that job vouched even when an honest auditor fails it (it stays disputed and raises the cheater's
//   audit rate, and the next honest pair, or the operator's rig, can still convict it). Where the operator's
//   rig audits, its verdict still decides. Disputes raise a rig's audit rate (audits/service.ts shouldAudit)
//   by one AUDIT_RATE at most, however many there are, so a hostile auditor can't drive it up without end.

import type { Config } from '../config';

export type TrustRules = Pick<Config, 'AUDIT_PROBATION_JOBS' | 'BOND_NANO' | 'OPERATOR_OWNER_IDS'>;

/** Passed audits a rig needs since its probation began before it audits others (fewer with a shorter probation). */
export const AUDITOR_PASSES = 3;

/** An auditor as the rules see it: its owner, whether it is the operator's, its bond, whether it is trusted. */
export interface AuditorStanding {
  id: string;
  ownerId: string;
  operator: boolean;
  bondNano: bigint;
  trusted: boolean;
}

/**
 * The auditor to ask among trusted candidates: the operator's own rig when one is there (its verdict decides
 * anyway), else one drawn with a chance proportional to its bond (uniform when no one has a bond: bonds off).
 */
export function chooseAuditor<T extends Pick<AuditorStanding, 'operator' | 'bondNano'>>(
  eligible: readonly T[],
  random: () => number,
): T | undefined {
  const operators = eligible.filter((a) => a.operator);
  if (operators.length) return operators[Math.floor(random() * operators.length)];
  return weightedDraw(eligible, (a) => a.bondNano, random);
}

/** One of `items` drawn with a chance proportional to `weight` (uniform when all weigh nothing). */
export function weightedDraw<T>(
  items: readonly T[],
  weight: (item: T) => bigint,
  random: () => number,
): T | undefined {
  if (items.length === 0) return undefined;
  const total = items.reduce((s, i) => s + weight(i), 0n);
  if (total <= 0n) return items[Math.floor(random() * items.length)];
  // A point in [0, total): random() scaled in millionths, then the bigint total.
  let point = (BigInt(Math.floor(random() * 1_000_000)) * total) / 1_000_000n;
  for (const item of items) {
    point -= weight(item);
    if (point < 0n) return item;
  }
  return items[items.length - 1];
}

export interface Verdict extends AuditorStanding {
  auditId: string;
  outcome: 'pass' | 'fail';
}

/** What a job's verdicts decide. `outvoted`: auditors the operator's rig outvoted. */
export type Judgement =
  | { kind: 'passed'; paid: string[]; outvoted: Verdict[] }
  | { kind: 'convicted'; paid: string[]; outvoted: Verdict[] }
  /** `vouched`: a trusted auditor passed it: no conviction, but its exposure ends (see the header). */
  | { kind: 'disputed'; vouched?: true }
  /** One trusted auditor said fail: ask a second (with none to ask, the job is disputed). */
  | { kind: 'second-opinion' }
  /** No verdict that counts yet: ask another auditor (with none to ask, the job is unaudited). */
  | { kind: 'none' };

export interface JudgeContext {
  /** The audited rig is the operator's own: only the operator's rigs can convict it. */
  accusedIsOperator: boolean;
  /** What a conviction would pay back: the audited rig's unvouched work (bonds/repository.ts exposureSql). */
  refundNano: bigint;
  bondsOn: boolean;
}

/** The decision rule (see the header). Verdicts of auditors that are not trusted (any more) are left out. */
export function judge(verdicts: readonly Verdict[], ctx: JudgeContext): Judgement {
  const counted = verdicts.filter((v) => v.trusted);
  if (counted.length === 0) return { kind: 'none' };
  const ops = counted.filter((v) => v.operator);
  if (ops.length > 0) return operatorDecides(counted, ops);
  const fails = counted.filter((v) => v.outcome === 'fail');
  const passes = counted.filter((v) => v.outcome === 'pass');
  if (fails.length === 0) return { kind: 'passed', paid: ids(passes), outvoted: [] };
  if (passes.length > 0) return { kind: 'disputed', vouched: true };
  if (ctx.accusedIsOperator) return { kind: 'disputed' };
  const owners = new Set(fails.map((v) => v.ownerId));
  const stake = fails.reduce((s, v) => s + v.bondNano, 0n);
  if (owners.size >= 2 && (!ctx.bondsOn || stake >= ctx.refundNano))
    return { kind: 'convicted', paid: ids(fails), outvoted: [] };
  return owners.size === 1 ? { kind: 'second-opinion' } : { kind: 'disputed' };
}

/** The operator's rigs said something: they decide, unless they disagree among themselves. */
function operatorDecides(counted: readonly Verdict[], ops: readonly Verdict[]): Judgement {
  const outcomes = new Set(ops.map((v) => v.outcome));
  if (outcomes.size > 1) return { kind: 'disputed', vouched: true };
  const outcome = ops[0].outcome;
  const agree = counted.filter((v) => v.outcome === outcome);
  const outvoted = counted.filter((v) => v.outcome !== outcome);
  return { kind: outcome === 'pass' ? 'passed' : 'convicted', paid: ids(agree), outvoted };
}

const ids = (vs: readonly Verdict[]) => vs.map((v) => v.auditId);
