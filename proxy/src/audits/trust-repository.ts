// The SQL of trust (trust.ts says the rules): the condition a trusted auditor (aliased `r`) meets, for other
// repositories' queries of rigs.
import { bondLeavingSql, bondSql, inProbationSql, operatorsSql } from '../bonds/repository';
import { AUDITOR_PASSES, type TrustRules } from './trust';

/** SQL for a rig (aliased `r`): it is a trusted auditor (trust.ts says who is). */
export function trustedAuditorSql(rules: TrustRules): string {
  const bonded =
    rules.BOND_NANO === 0n ? 'TRUE' : `${bondSql()} >= ${rules.BOND_NANO} AND NOT ${bondLeavingSql()}`;
  const passes = Math.min(AUDITOR_PASSES, Math.trunc(rules.AUDIT_PROBATION_JOBS));
  return `(r.quarantined_at IS NULL AND r.audit_banned_at IS NULL AND r.revoked_at IS NULL
    AND (r.owner_id = ANY(${operatorsSql(rules)})
      OR (NOT ${inProbationSql(rules)} AND r.probation_passes >= ${passes} AND ${bonded})))`;
}
