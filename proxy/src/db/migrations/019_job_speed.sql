-- Speed on the market (market/speed.ts): when the rig running a job showed its first output, by the proxy's
-- clock (its first streamed chunk, or the first heartbeat that reported tokens done, whichever came first);
-- reset at each claim. With started_at (the claim) and finished_at (the settlement) it gives the job's time to
-- first token and its decode speed.
ALTER TABLE jobs ADD COLUMN first_token_at timestamptz;
-- The speed statistics read a rig's recent settled jobs of a model.
CREATE INDEX jobs_rig_model_done ON jobs (rig_id, model, finished_at DESC) WHERE state = 'done';
