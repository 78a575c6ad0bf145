-- Trust: trial credit kept apart from withdrawable money, wallet changes that wait, proofs bound to a user.

-- The part of a job's hold that came from the user's trial credit (account trial:<id>); on release and
-- settlement it goes back to, or pays the rig owner in, trial credit. Never withdrawable.
ALTER TABLE jobs ADD COLUMN hold_trial_nano numeric(39,0) NOT NULL DEFAULT 0;

-- A wallet change made without a proof from the old wallet takes effect at pending_wallet_at; until then
-- withdrawals wait and the Mini App shows the pending change.
ALTER TABLE users ADD COLUMN pending_wallet_address text;
ALTER TABLE users ADD COLUMN pending_wallet_at timestamptz;

-- A ton_proof payload is issued to one user and only works for that user.
ALTER TABLE ton_proof_payloads ADD COLUMN user_id text;
