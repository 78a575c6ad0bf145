-- Deadlines that measure progress (jobs/progress.ts). A running job is lost when its rig stops making
-- progress, not after a total run time counted from the claim:
--   tokens_done        the tokens the rig has reported for its current attempt (heartbeats), reset at each claim;
--   progress_deadline  when the next progress is due: the first-token deadline after the claim, then the
--                      between-token deadline after each report that grew tokens_done;
--   queued_at          when the job last started waiting for a rig (submit, or a failover): JOB_TIMEOUT_MS
--                      counts from here and only while the job waits, never while a rig is producing it.
-- run_deadline (005) stays: now the run time cap, generous, against a rig that reports progress it never delivers.
ALTER TABLE jobs ADD COLUMN tokens_done integer NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN progress_deadline timestamptz;
ALTER TABLE jobs ADD COLUMN queued_at timestamptz;
