-- The rig's signed commitment to the plaintext result (sha256 over the salted result, which only the
-- client can open): kept with the job so a client reading it later, or an audit, can check it.
ALTER TABLE jobs ADD COLUMN result_commitment text;

-- A client's report that a result didn't match its rig's commitment (for audits and the rig's standing).
CREATE TABLE job_reports (
  id bigserial PRIMARY KEY,
  job_id uuid NOT NULL,
  user_id text NOT NULL,
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (job_id, user_id, reason)
);
