-- Bounds on what one rig can do to the market.

-- The first rig that called a job's input invalid (a non-retryable fail). One rig's word only moves the job
-- to the next candidate; a second rig agreeing fails it.
ALTER TABLE jobs ADD COLUMN input_refused_by uuid;
-- The latest a job's lease can be renewed to: the model's expected time for its tokens from the claim on.
ALTER TABLE jobs ADD COLUMN run_deadline timestamptz;

-- A rig's standing: failures in a row (a settled job resets it) and a cool-down that keeps it out of quotes.
ALTER TABLE rigs ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0;
ALTER TABLE rigs ADD COLUMN cooldown_until timestamptz;

-- Finished jobs whose sealed envelope or result is still kept (the sweeper drops them after a while).
CREATE INDEX jobs_sealed_kept ON jobs (finished_at) WHERE envelope IS NOT NULL OR result IS NOT NULL;

-- Counters of things that leave no rows behind (expired quotes).
CREATE TABLE counters (
  name text PRIMARY KEY,
  value bigint NOT NULL DEFAULT 0
);
