-- The queue (jobs/queue.ts): a job whose candidate rigs are all busy waits in state 'queued', a row like any
-- other, so a proxy restart or another proxy process picks it up where it stood.
--   submitted_at   its place in line (first come, first served); a job put back by a failover keeps it;
--   max_wait_ms    how long it may wait for a free slot each time it waits (QUEUE_WAIT_MS, or less if asked);
--   wait_deadline  when the current wait ends in failure: submit (or failover) + max_wait_ms.
ALTER TABLE jobs ADD COLUMN submitted_at timestamptz;
ALTER TABLE jobs ADD COLUMN max_wait_ms integer;
ALTER TABLE jobs ADD COLUMN wait_deadline timestamptz;
CREATE INDEX jobs_waiting ON jobs (model, submitted_at) WHERE state = 'queued';
