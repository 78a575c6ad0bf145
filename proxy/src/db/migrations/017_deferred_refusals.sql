-- Refusals the client may have caused (rigs/standing.ts): rigs that said a job's input is invalid, or could not
-- open its envelope. They count against those rigs only once the job is done on another rig (proof that the
-- input was fine); a job that fails everywhere cools nobody down for them.
ALTER TABLE jobs ADD COLUMN input_refusals uuid[] NOT NULL DEFAULT '{}';

-- A disputed job that a trusted auditor of another owner passed (audits/trust.ts): nobody is convicted on it,
-- but the pass vouches for it, so it no longer counts toward its rig's bond cap (audits/bonds.ts).
ALTER TABLE jobs ADD COLUMN vouched_by_pass boolean NOT NULL DEFAULT false;
