-- The confidential tier (proxy/src/attestation): what each rig says it runs in, the tier its evidence put it
-- in, and that evidence (its last quote, the challenge it answered, the verdict and why), for its owner's
-- Rigs page and for clients that check it themselves.
ALTER TABLE rigs ADD COLUMN tee text NOT NULL DEFAULT 'none' CHECK (tee IN ('none', 'tdx'));
ALTER TABLE rigs ADD COLUMN trust_tier text NOT NULL DEFAULT 'open' CHECK (trust_tier IN ('open', 'tdx'));
ALTER TABLE rigs ADD COLUMN evidence jsonb;
ALTER TABLE rigs ADD COLUMN evidence_checked_at timestamptz;
