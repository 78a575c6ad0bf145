// The SQL of bonds (bonds.ts says the rules): the conditions and values other repositories put in their
// queries of a rig (aliased `r`), and the statements of keeping and withdrawing a bond. Each fragment is a
// function, so that what a query pastes in is named and found here.
import type { Config } from '../config';
import type { Queryable } from '../db';

type BondRules = Pick<Config, 'AUDIT_PROBATION_JOBS' | 'BOND_NANO' | 'OPERATOR_OWNER_IDS'>;

/**
 * SQL: job `j` of rig `r` is one nothing vouches for: done, neither passed its own audit (nor passed by a
 * trusted auditor while another failed it: disputed but vouched, audits/trust.ts) nor refunded, and finished after
 * the start of the rig's last passed audit's job (or the rig never passed one).
 */
export function unvouchedSql(j: string, r: string): string {
  return `${j}.state = 'done' AND ${j}.audit_state IS DISTINCT FROM 'refunded'
    AND ${j}.audit_state IS DISTINCT FROM 'passed' AND NOT ${j}.vouched_by_pass
    AND (${r}.last_passed_audit_at IS NULL OR ${j}.finished_at > ${r}.last_passed_audit_at)`;
}

/**
 * SQL for a rig (aliased `r`): the cost of its done jobs no passed audit vouches for (audits/repository.ts
 * recordPassed), not refunded: the same set a proof of cheating refunds.
 */
export function exposureSql(): string {
  return `(SELECT coalesce(sum(j.cost_nano), 0) FROM jobs j
  WHERE j.rig_id = r.id AND ${unvouchedSql('j', 'r')})`;
}

/** SQL for a rig (aliased `r`): its bond. */
export function bondSql(): string {
  return `(SELECT coalesce(max(a.balance), 0) FROM accounts a WHERE a.id = 'bond:' || r.id)`;
}

/** The operator's owner ids as a SQL array literal (they are digits: checked by the config). */
export function operatorsSql(rules: Pick<BondRules, 'OPERATOR_OWNER_IDS'>): string {
  return `ARRAY[${rules.OPERATOR_OWNER_IDS.map((id) => `'${id}'`).join(',')}]::text[]`;
}

/** SQL for a rig (aliased `r`) in probation: every job audited, no bond needed yet. */
export function inProbationSql(rules: Pick<BondRules, 'AUDIT_PROBATION_JOBS'>): string {
  return `(r.jobs_done - r.probation_from < ${Math.trunc(rules.AUDIT_PROBATION_JOBS)})`;
}

/** SQL for a rig (aliased `r`) whose owner asked for its bond back (withdrawBond): the bond is leaving. */
export function bondLeavingSql(): string {
  return '(r.bond_withdraw_requested_at IS NOT NULL)';
}

/**
 * SQL for a rig (aliased `r`) the market may offer: the operator's own, or in probation, or with its unvouched
 * work below its bond and no request for the bond back. BOND_NANO = 0 turns bonds off.
 */
export function bondedSql(rules: BondRules): string {
  if (rules.BOND_NANO === 0n) return 'TRUE'; // bonds off
  return `(r.owner_id = ANY(${operatorsSql(rules)}) OR ${inProbationSql(rules)}
    OR (NOT ${bondLeavingSql()} AND ${exposureSql()} < ${bondSql()}))`;
}

/** SQL for a rig (aliased `r`): its standing, one of bonds.ts STANDINGS (quarantine first, then the operator's own). */
export function standingSql(rules: BondRules): string {
  return `CASE WHEN r.quarantined_at IS NOT NULL THEN 'quarantined'
      WHEN r.owner_id = ANY(${operatorsSql(rules)}) THEN 'operator'
      WHEN ${inProbationSql(rules)} THEN 'probation'
      WHEN ${bondedSql(rules)} THEN 'bonded' ELSE 'capped' END`;
}

/** Whether the rig is in probation; undefined when there is no such rig. */
export async function rigInProbation(
  q: Queryable,
  rules: Pick<BondRules, 'AUDIT_PROBATION_JOBS'>,
  rigId: string,
): Promise<boolean | undefined> {
  const r = await q.query<{ probation: boolean }>(
    `SELECT ${inProbationSql(rules)} AS probation FROM rigs r WHERE r.id = $1`,
    [rigId],
  );
  return r.rows[0]?.probation;
}

/** Locks the rig: when its owner asked for the bond back, and how many audits of it are open. */
export async function lockBondWithdrawal(
  q: Queryable,
  rigId: string,
): Promise<{ requested: Date | null; open: string } | undefined> {
  const r = await q.query<{ requested: Date | null; open: string }>(
    `SELECT r.bond_withdraw_requested_at AS requested,
       (SELECT count(*) FROM audits a WHERE a.audited_rig_id = r.id AND a.state = 'sent')::text AS open
     FROM rigs r WHERE r.id = $1 FOR UPDATE`,
    [rigId],
  );
  return r.rows[0];
}

/** Starts (`requested`) or ends (not) the owner's request for the bond back. */
export async function setBondWithdrawRequested(
  q: Queryable,
  rigId: string,
  requested: boolean,
): Promise<void> {
  await q.query(
    requested
      ? 'UPDATE rigs SET bond_withdraw_requested_at = now() WHERE id = $1'
      : 'UPDATE rigs SET bond_withdraw_requested_at = NULL WHERE id = $1',
    [rigId],
  );
}
