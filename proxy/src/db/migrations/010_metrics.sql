-- Metrics (proxy/src/metrics.ts) count what finished in the last hour at every scrape: keep those reads
-- on an index rather than a scan of every job and audit ever kept.
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX audits_decided ON audits (decided_at) WHERE decided_at IS NOT NULL;
