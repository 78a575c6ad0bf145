-- Audits: another candidate of a finished job checks it (audits/service.ts).

-- The executing rig's result sealed for the job's other candidates (only they, and the client, can open it).
ALTER TABLE jobs ADD COLUMN audit_copy jsonb;
-- null: not picked for audit; pending, passed, disputed (one auditor against the rig, no second one),
-- refunded (the rig was proven wrong), unauditable (no eligible auditor answered).
ALTER TABLE jobs ADD COLUMN audit_state text;
CREATE INDEX jobs_rig_finished ON jobs (rig_id, finished_at) WHERE state = 'done';

ALTER TABLE rigs ADD COLUMN audits_passed integer NOT NULL DEFAULT 0;
ALTER TABLE rigs ADD COLUMN audits_failed integer NOT NULL DEFAULT 0;
ALTER TABLE rigs ADD COLUMN last_passed_audit_at timestamptz;
-- Off the market until its owner has seen the evidence and releases it.
ALTER TABLE rigs ADD COLUMN quarantined_at timestamptz;
ALTER TABLE rigs ADD COLUMN quarantine_reason text;

CREATE TABLE audits (
  id uuid PRIMARY KEY,
  job_id uuid NOT NULL REFERENCES jobs(id),
  audited_rig_id uuid NOT NULL REFERENCES rigs(id),
  auditor_rig_id uuid NOT NULL REFERENCES rigs(id),
  round smallint NOT NULL CHECK (round IN (1, 2)),
  state text NOT NULL DEFAULT 'sent' CHECK (state IN ('sent', 'pass', 'fail', 'unable', 'expired')),
  agreement_ppm integer,
  reason text,
  signature text,
  created_at timestamptz NOT NULL DEFAULT now(),
  decided_at timestamptz,
  UNIQUE (job_id, round)
);
CREATE INDEX audits_audited ON audits (audited_rig_id, created_at DESC);
CREATE INDEX audits_open ON audits (state, created_at) WHERE state = 'sent';
