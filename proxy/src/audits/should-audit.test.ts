// The audit decision: probation audits every job, then AUDIT_RATE, doubled by disputes on the rig's record;
// the operator's own rigs have no probation.
import { describe, expect, it } from 'vitest';
import { shouldAudit } from './service';

const config = { AUDIT_RATE: 0.05, AUDIT_PROBATION_JOBS: 20, OPERATOR_OWNER_IDS: ['7'] };
const share = (rig: Parameters<typeof shouldAudit>[0]) => {
  let n = 0;
  let s = 1;
  const random = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  for (let i = 0; i < 20_000; i++) if (shouldAudit(rig, config, random)) n++;
  return n / 20_000;
};

describe('shouldAudit', () => {
  it('audits every job in probation, counted from a quarantine too', () => {
    expect(share({ owner_id: '1', jobs_done: 20, probation_from: 0 })).toBe(1);
    expect(share({ owner_id: '1', jobs_done: 45, probation_from: 30 })).toBe(1);
  });

  it('audits AUDIT_RATE of jobs past probation, more with disputes on the record; no probation for the operator', () => {
    expect(share({ owner_id: '1', jobs_done: 21, probation_from: 0 })).toBeCloseTo(0.05, 1);
    expect(share({ owner_id: '1', jobs_done: 21, probation_from: 0, disputed: 1 })).toBeCloseTo(0.1, 1);
    // Capped: a hostile auditor disputing every job can't raise the rate without end.
    expect(share({ owner_id: '1', jobs_done: 21, probation_from: 0, disputed: 30 })).toBeCloseTo(0.1, 1);
    expect(share({ owner_id: '7', jobs_done: 1, probation_from: 0 })).toBeCloseTo(0.05, 1);
  });
});
